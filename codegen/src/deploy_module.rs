//! The `<service>_deploy` module both front ends emit: the runtime's [`kuberpc_spec::Deploy`]
//! of the service, written by its own [`Literal`] (the resolved facts the manifests were
//! rendered from: app, port, lifecycle, each method's call policy), a constant per scalar
//! fact, and what only the generator knows (the storage path, the gRPC service config), so
//! the runtime binds and behaves as the cluster expects.
//!
//! The call graph's two sides — `calls` (the callees) and `CALLERS` — are written out where
//! the run resolved the graph ([`Graph::Resolved`]: the proto path). The `#[rpc_service]`
//! macro knows no other service ([`Graph::InBuildScript`]): it includes what the trait's build
//! script resolved and wrote to `$OUT_DIR` ([`calls_file_name`], and [`callers_file_name`]
//! for a service with mutual TLS, whose server admits exactly its callers).

use heck::{ToShoutySnakeCase, ToSnakeCase};
use kuberpc_spec::{Callee, Caller, Deploy, HttpRule, Literal, MethodPolicy, MutualTls};
use quote::{format_ident, quote};

use crate::model::{method_path, Peer, Service};

/// Who knows the call graph where a deploy module is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Graph {
    /// This run resolved it (`graph`): the module states the callees and callers itself.
    #[cfg_attr(not(feature = "build"), allow(dead_code))] // the proto path is build-side
    Resolved,
    /// The trait's build script resolves it and writes it to `$OUT_DIR`, which the macro's
    /// module includes.
    InBuildScript,
}

/// `pub mod <service>_deploy { APP, SERVICE, PORT, …, DEPLOY }`, naming the runtime crate as
/// `krate` (`::kuberpc`, or what a user renamed it to).
pub(crate) fn deploy_module(
    service: &Service,
    krate: &proc_macro2::TokenStream,
    graph: Graph,
) -> proc_macro2::TokenStream {
    let module = format_ident!("{}_deploy", service.name.to_snake_case());
    let deploy = runtime_deploy(service);
    let constants = deploy.constants();
    let literal = deploy.literal(krate);
    let service_config = crate::service_config::service_config(service).to_string();
    let storage_path = service.deploy.storage.as_ref().map(|storage| storage.mount_path.as_str()).literal(krate);
    let doc =
        format!(" Deployment facts of `{}`, from the options that rendered `deploy/{}/`.", deploy.service, deploy.app);
    let calls = calls_module(service, krate, graph);
    let callers = callers_constant(service, krate, graph);
    quote! {
        #[doc = #doc]
        pub mod #module {
            #constants
            #calls
            #callers
            /// Where each pod's PersistentVolumeClaim is mounted (`storage.mount_path`), if the
            /// service has storage: a StatefulSet's pods each get their own claim there.
            pub const STORAGE_PATH: ::core::option::Option<&str> = #storage_path;
            /// The gRPC service config (JSON) with these deadlines and retries, for clients in
            /// other languages (also `deploy/<app>/base/service-config.json`).
            pub const SERVICE_CONFIG: &str = #service_config;
            /// Everything the runtime reads, each method's call policy included, for
            /// `kuberpc::Server` and `kuberpc::client::Client`.
            pub static DEPLOY: #krate::Deploy = #literal;
        }
    }
}

/// [`Deploy`] as the generator builds it, with owned strings and lists.
type OwnedDeploy = Deploy<String, Vec<MethodPolicy<String>>, CallersConstant, Vec<String>, Vec<HttpRule<String>>>;

/// The runtime's view of `service`: the resolved deployment, projected.
fn runtime_deploy(service: &Service) -> OwnedDeploy {
    let deploy = &service.deploy;
    Deploy {
        app: deploy.app.clone(),
        service: service.full_name.clone(),
        port: deploy.port,
        headless_service: crate::model::headless_service_name(&deploy.app),
        reflection: deploy.reflection,
        lifecycle: deploy.lifecycle,
        methods: service.methods.iter().map(|method| method.policy.clone()).collect(),
        client: deploy.client,
        mtls: deploy
            .mtls
            .as_ref()
            .map(|mtls| MutualTls { trust_domain: mtls.trust_domain.clone(), health_port: mtls.health_port }),
        callers: CallersConstant,
        web: deploy.web.clone(),
        rest: service.rest_rules().cloned().collect(),
    }
}

/// `DEPLOY.callers` is the module's `CALLERS`, stated once beside it.
struct CallersConstant;

impl Literal for CallersConstant {
    fn literal(&self, _: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
        quote!(CALLERS)
    }
}

/// `pub const CALLERS`: the callers the call graph admits, each with the methods it calls —
/// in the macro's module of a service with mutual TLS, included from what the build script
/// wrote (a server that admits exactly its callers must not be compiled with none).
fn callers_constant(service: &Service, krate: &proc_macro2::TokenStream, graph: Graph) -> proc_macro2::TokenStream {
    if graph == Graph::InBuildScript && service.deploy.mtls.is_some() {
        let file = callers_file_name(service);
        return quote! { include!(concat!(env!("OUT_DIR"), "/", #file)); };
    }
    caller_constant(service, krate)
}

/// The documented `pub const CALLERS` of `service`'s resolved callers.
pub(crate) fn caller_constant(service: &Service, krate: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let callers: Vec<Caller<String, Vec<String>>> =
        service.deploy.callers.iter().map(|peer| runtime_caller(peer, &service.full_name)).collect();
    let literal = callers.literal(krate);
    quote! {
        /// The services the call graph lets call this one, each with the methods it may call
        /// (`DEPLOY.callers`; with mutual TLS the server admits exactly these).
        pub const CALLERS: &[#krate::Caller] = #literal;
    }
}

/// The file the trait's build script writes the callers of `service` to, in `$OUT_DIR`.
pub(crate) fn callers_file_name(service: &Service) -> String {
    format!("kuberpc_callers_{}.rs", service.deploy.app.to_snake_case())
}

/// The runtime's view of one caller of `service`.
fn runtime_caller(peer: &Peer, service: &str) -> Caller<String, Vec<String>> {
    Caller {
        app: peer.app.clone(),
        service_account: peer.app.clone(),
        identity_env: kuberpc_spec::identity_env(&peer.app),
        methods: peer.methods.iter().map(|m| method_path(service, m)).collect(),
    }
}

/// `pub mod calls`, one [`Callee`] per service `service` calls: written out when the call graph
/// is resolved (the proto front end, the trait's build script), else — the `#[rpc_service]`
/// macro knows no other service — included from what the build script wrote to `$OUT_DIR`.
fn calls_module(service: &Service, krate: &proc_macro2::TokenStream, graph: Graph) -> proc_macro2::TokenStream {
    if service.deploy.calls.is_empty() {
        return quote!();
    }
    let callees = match graph {
        Graph::Resolved => callee_constants(service, krate),
        Graph::InBuildScript => {
            let file = calls_file_name(service);
            quote! { include!(concat!(env!("OUT_DIR"), "/", #file)); }
        }
    };
    quote! {
        /// The services this one calls (`calls`), one target each: give it to
        /// `kuberpc::client::Client::callee` with the callee's own `DEPLOY`.
        pub mod calls {
            #callees
        }
    }
}

/// The file the trait's build script writes the callees of `service` to, in `$OUT_DIR`.
pub(crate) fn calls_file_name(service: &Service) -> String {
    format!("kuberpc_calls_{}.rs", service.deploy.app.to_snake_case())
}

/// One documented `pub const <APP>: Callee` per resolved callee of `service`.
pub(crate) fn callee_constants(service: &Service, krate: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let callees = service.deploy.calls.iter().filter_map(|call| call.callee.as_ref());
    callees
        .map(|peer| {
            let name = format_ident!("{}", peer.app.to_shouty_snake_case());
            let callee = runtime_callee(peer).literal(krate);
            let doc = format!(" `{}` (app `{}`): {}.", peer.service, peer.app, peer.methods.join(", "));
            quote! {
                #[doc = #doc]
                pub const #name: #krate::Callee = #callee;
            }
        })
        .collect()
}

/// The runtime's view of one callee.
fn runtime_callee(peer: &Peer) -> Callee<String, Vec<String>> {
    Callee {
        app: peer.app.clone(),
        service: peer.service.clone(),
        address_env: kuberpc_spec::address_env(&peer.app),
        default_address: peer.address(None),
        methods: peer.methods.iter().map(|m| method_path(&peer.service, m)).collect(),
    }
}
