//! The `<service>_deploy` module both front ends emit: the constants the manifests were
//! rendered from (app, port, drain and grace times, storage path, each method's call policy), so the
//! runtime binds and behaves as the cluster expects.

use heck::ToSnakeCase;
use quote::{format_ident, quote};

use crate::model::{ClientPolicy, Service};

/// `pub mod <service>_deploy { APP, SERVICE, PORT, HEADLESS_SERVICE, DRAIN_SECONDS, … }`,
/// naming the runtime crate as `krate` (`::kuberpc`, or what a user renamed it to).
pub(crate) fn deploy_module(service: &Service, krate: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let module = format_ident!("{}_deploy", service.name.to_snake_case());
    let deploy = &service.deploy;
    let app = &deploy.app;
    let full_name = &service.full_name;
    let port = proc_macro2::Literal::u16_unsuffixed(deploy.port);
    let headless = crate::model::headless_service_name(app);
    let drain = proc_macro2::Literal::u32_unsuffixed(deploy.drain_seconds);
    let grace = proc_macro2::Literal::u32_unsuffixed(deploy.termination_grace_seconds);
    let reflection = deploy.reflection;
    let client = client_policy(&deploy.client, krate);
    let methods = method_policies(service, krate);
    let service_config = crate::service_config::service_config(service).to_string();
    let storage_path = match &deploy.storage {
        Some(storage) => {
            let path = &storage.mount_path;
            quote!(::core::option::Option::Some(#path))
        }
        None => quote!(::core::option::Option::None),
    };
    let doc = format!(" Deployment facts of `{full_name}`, from the options that rendered `deploy/{app}/`.");
    quote! {
        #[doc = #doc]
        pub mod #module {
            /// App name: the Deployment, the Services and the `deploy/` directory carry it.
            pub const APP: &str = #app;
            /// Fully qualified gRPC service name, as health checks and reflection know it.
            pub const SERVICE: &str = #full_name;
            /// The port the server binds; containerPort, Service port and probes use the same.
            pub const PORT: u16 = #port;
            /// The headless Service over which clients balance across pods.
            pub const HEADLESS_SERVICE: &str = #headless;
            /// Seconds a terminating pod keeps serving (the manifests' preStop sleep).
            pub const DRAIN_SECONDS: u32 = #drain;
            /// The pod's terminationGracePeriodSeconds.
            pub const TERMINATION_GRACE_SECONDS: u32 = #grace;
            /// Where each pod's PersistentVolumeClaim is mounted (`storage.mount_path`), if the
            /// service has storage: a StatefulSet's pods each get their own claim there.
            pub const STORAGE_PATH: ::core::option::Option<&str> = #storage_path;
            /// Whether the server answers gRPC reflection (`reflection`; health is always served).
            pub const REFLECTION: bool = #reflection;
            /// The gRPC service config (JSON) with these deadlines and retries, for clients in
            /// other languages (also `deploy/<app>/base/service-config.json`).
            pub const SERVICE_CONFIG: &str = #service_config;
            /// Everything above plus each method's call policy, for `kuberpc::Server` and
            /// `kuberpc::client::Client`.
            pub static DEPLOY: #krate::Deploy = #krate::Deploy {
                app: APP,
                service: SERVICE,
                port: PORT,
                headless_service: HEADLESS_SERVICE,
                drain_seconds: DRAIN_SECONDS,
                termination_grace_seconds: TERMINATION_GRACE_SECONDS,
                reflection: REFLECTION,
                methods: &[#(#methods),*],
                client: #client,
            };
        }
    }
}

/// The runtime's `ClientPolicy` literal.
fn client_policy(policy: &ClientPolicy, krate: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let default_timeout_ms = proc_macro2::Literal::u64_unsuffixed(policy.default_timeout_ms);
    let fields = [
        ("keepalive_interval_ms", policy.keepalive_interval_ms),
        ("keepalive_timeout_ms", policy.keepalive_timeout_ms),
        ("connect_timeout_ms", policy.connect_timeout_ms),
        ("eject_after_failures", policy.eject_after_failures),
        ("base_ejection_ms", policy.base_ejection_ms),
        ("max_ejection_percent", policy.max_ejection_percent),
        ("max_concurrent_requests", policy.max_concurrent_requests),
        ("retry_budget_percent", policy.retry_budget_percent),
        ("min_retries_per_second", policy.min_retries_per_second),
    ]
    .map(|(name, value)| {
        let (name, value) = (format_ident!("{name}"), proc_macro2::Literal::u32_unsuffixed(value));
        quote!(#name: #value)
    });
    quote! {
        #krate::ClientPolicy { default_timeout_ms: #default_timeout_ms, #(#fields,)* }
    }
}

/// One runtime `MethodPolicy` literal per method.
fn method_policies<'a>(
    service: &'a Service,
    krate: &'a proc_macro2::TokenStream,
) -> impl Iterator<Item = proc_macro2::TokenStream> + 'a {
    service.methods.iter().map(move |method| {
        let path = method.path(service);
        let timeout = optional_ms(method.timeout_ms);
        let hedge_delay = optional_ms(method.hedge_delay_ms);
        let idempotent = method.idempotent;
        let client_streaming = method.client_streaming;
        let server_streaming = method.server_streaming;
        quote! {
            #krate::MethodPolicy {
                path: #path,
                timeout_ms: #timeout,
                idempotent: #idempotent,
                client_streaming: #client_streaming,
                server_streaming: #server_streaming,
                hedge_delay_ms: #hedge_delay,
            }
        }
    })
}

fn optional_ms(ms: Option<u64>) -> proc_macro2::TokenStream {
    match ms {
        Some(ms) => {
            let ms = proc_macro2::Literal::u64_unsuffixed(ms);
            quote!(::core::option::Option::Some(#ms))
        }
        None => quote!(::core::option::Option::None),
    }
}
