//! The `<service>_deploy` module both front ends emit: the runtime's [`kuberpc_spec::Deploy`]
//! of the service, written by its own [`Literal`] (the resolved facts the manifests were
//! rendered from: app, port, lifecycle, each method's call policy), a constant per scalar
//! fact, and what only the generator knows (the storage path, the gRPC service config), so
//! the runtime binds and behaves as the cluster expects.

use heck::ToSnakeCase;
use kuberpc_spec::{Deploy, Literal, MethodPolicy};
use quote::{format_ident, quote};

use crate::model::Service;

/// `pub mod <service>_deploy { APP, SERVICE, PORT, …, DEPLOY }`, naming the runtime crate as
/// `krate` (`::kuberpc`, or what a user renamed it to).
pub(crate) fn deploy_module(service: &Service, krate: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let module = format_ident!("{}_deploy", service.name.to_snake_case());
    let deploy = runtime_deploy(service);
    let constants = deploy.constants();
    let literal = deploy.literal(krate);
    let service_config = crate::service_config::service_config(service).to_string();
    let storage_path = service.deploy.storage.as_ref().map(|storage| storage.mount_path.as_str()).literal(krate);
    let doc =
        format!(" Deployment facts of `{}`, from the options that rendered `deploy/{}/`.", deploy.service, deploy.app);
    quote! {
        #[doc = #doc]
        pub mod #module {
            #constants
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

/// The runtime's view of `service`: the resolved deployment, projected.
fn runtime_deploy(service: &Service) -> Deploy<String, Vec<MethodPolicy<String>>> {
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
    }
}
