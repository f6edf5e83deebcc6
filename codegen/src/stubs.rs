//! The stub back end: tonic server + client code, deployment constants and the encoded
//! `FileDescriptorSet`, all in memory.
//!
//! Messages and services come from prost-build driven with tonic-prost-build's service
//! generator (the same code `tonic_prost_build::compile_fds` writes). kuberpc adds one module
//! per service, `<service>_deploy`, holding the constants the manifests were rendered from, so
//! the server binds the very port the probes and Services use. Entry point: [`generate`].

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use prost::Message as _;
use prost_build::Module;
use quote::{format_ident, quote};

use crate::error::{Error, Problem};
use crate::model::{Package, Service};
use crate::options::OPTIONS_PROTO_NAME;

/// File name of the encoded descriptor set, next to the stubs.
pub const DESCRIPTOR_SET_FILE: &str = "kuberpc_descriptor.bin";

/// Generates `<package>.rs` for every package of `fds` (well-known types and the vocabulary
/// excepted) plus [`DESCRIPTOR_SET_FILE`]. Keys are file names.
pub fn generate(
    fds: &prost_types::FileDescriptorSet,
    packages: &[Package],
) -> Result<BTreeMap<String, Vec<u8>>, Error> {
    let requests: Vec<_> = fds
        .file
        .iter()
        .filter(|file| !is_provided(file.name()))
        .map(|file| (Module::from_protobuf_package_name(file.package()), file.clone()))
        .collect();
    let file_names: BTreeMap<Module, String> =
        requests.iter().map(|(module, _)| (module.clone(), module.to_file_name_or("_"))).collect();

    let mut config = prost_build::Config::new();
    config.service_generator(tonic_prost_build::configure().service_generator());
    let modules = config.generate(requests).map_err(|e| Problem::new(format!("generating Rust stubs failed: {e}")))?;

    let mut files = BTreeMap::new();
    for (module, mut code) in modules {
        let package = module.parts().collect::<Vec<_>>().join(".");
        for service in packages.iter().filter(|p| p.name == package).flat_map(|p| &p.services) {
            code.push('\n');
            code.push_str(&deploy_module(service));
        }
        files.insert(file_names[&module].clone(), code.into_bytes());
    }
    files.insert(DESCRIPTOR_SET_FILE.to_string(), encode_without_source_info(fds));
    Ok(files)
}

/// Files whose Rust types come from elsewhere: `prost-types`, or nothing at all (the
/// vocabulary only carries options).
fn is_provided(file_name: &str) -> bool {
    file_name.starts_with("google/protobuf/") || file_name == OPTIONS_PROTO_NAME
}

/// Source info only helps code generation; reflection clients do not need it.
pub(crate) fn encode_without_source_info(fds: &prost_types::FileDescriptorSet) -> Vec<u8> {
    let mut fds = fds.clone();
    for file in &mut fds.file {
        file.source_code_info = None;
    }
    fds.encode_to_vec()
}

/// The deploy module as formatted source, for the proto front end's stub files.
fn deploy_module(service: &Service) -> String {
    let file = syn::parse2::<syn::File>(deploy_module_tokens(service, &quote!(::kuberpc)))
        .expect("the deploy module is valid Rust");
    prettyplease::unparse(&file)
}

/// `pub mod <service>_deploy { APP, SERVICE, PORT, HEADLESS_SERVICE, DRAIN_SECONDS, … }`,
/// naming the runtime crate as `krate` (`::kuberpc`, or what a user renamed it to).
pub(crate) fn deploy_module_tokens(service: &Service, krate: &proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let module = format_ident!("{}_deploy", service.name.to_snake_case());
    let deploy = &service.deploy;
    let app = &deploy.app;
    let full_name = &service.full_name;
    let port = proc_macro2::Literal::u16_unsuffixed(u16::try_from(deploy.port).unwrap_or_default());
    let headless = crate::manifests::headless_service_name(app);
    let drain = proc_macro2::Literal::u32_unsuffixed(deploy.drain_seconds);
    let grace = proc_macro2::Literal::u32_unsuffixed(deploy.termination_grace_seconds);
    let methods = service.methods.iter().map(|method| {
        let path = method.path(service);
        let timeout = match method.timeout_ms {
            Some(ms) => {
                let ms = proc_macro2::Literal::u64_unsuffixed(ms);
                quote!(::core::option::Option::Some(#ms))
            }
            None => quote!(::core::option::Option::None),
        };
        let idempotent = method.idempotent;
        let client_streaming = method.client_streaming;
        quote! {
            #krate::MethodPolicy {
                path: #path,
                timeout_ms: #timeout,
                idempotent: #idempotent,
                client_streaming: #client_streaming,
            }
        }
    });
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
            /// Everything above plus each method's call policy, for `kuberpc::Server` and
            /// `kuberpc::client::Client`.
            pub static DEPLOY: #krate::Deploy = #krate::Deploy {
                app: APP,
                service: SERVICE,
                port: PORT,
                headless_service: HEADLESS_SERVICE,
                drain_seconds: DRAIN_SECONDS,
                termination_grace_seconds: TERMINATION_GRACE_SECONDS,
                methods: &[#(#methods),*],
            };
        }
    }
}
