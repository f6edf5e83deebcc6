//! The stub back end: tonic server + client code, deployment constants and the encoded
//! `FileDescriptorSet`, all in memory.
//!
//! Messages and services come from prost-build driven with tonic-prost-build's service
//! generator (the same code `tonic_prost_build::compile_fds` writes). kuberpc adds one module
//! per service, `<service>_deploy`, holding the constants the manifests were rendered from, so
//! the server binds the very port the probes and Services use. Entry point: [`generate`].

use std::collections::BTreeMap;

use prost::Message as _;
use prost_build::Module;
use quote::quote;

use crate::deploy_module::deploy_module;

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
            code.push_str(&deploy_module_source(service));
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
fn deploy_module_source(service: &Service) -> String {
    let file =
        syn::parse2::<syn::File>(deploy_module(service, &quote!(::kuberpc))).expect("the deploy module is valid Rust");
    prettyplease::unparse(&file)
}
