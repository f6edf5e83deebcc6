//! The stub back end: tonic server + client code, deployment constants, the module tree and
//! the encoded `FileDescriptorSet`, all in memory.
//!
//! Messages and services come from prost-build driven with tonic-prost-build's service
//! generator, configured exactly as `tonic_prost_build::configure().compile_protos(..)`
//! configures them, with the user's [`StubOptions`] passed through: the same stubs, byte for
//! byte. Every compiled file, imports and well-known types included, goes to prost-build so
//! that its message graph knows every type; prost-build itself leaves out what is extern
//! (`google.protobuf` → `::prost_types` unless `compile_well_known_types`, the vocabulary →
//! `::kuberpc::options`). kuberpc adds one module per service, `<service>_deploy`, holding the
//! constants the manifests were rendered from, and [`INCLUDE_FILE`], the module tree of every
//! package (`kuberpc::include_protos!()`). Entry point: [`generate`].

use std::collections::BTreeMap;

use prost::Message as _;
use prost_build::Module;
use quote::quote;

use crate::deploy_module::{deploy_module, Graph};
use crate::error::{Error, Problem, Problems};
use crate::model::{Package, Service};

/// File name of the encoded descriptor set, next to the stubs.
pub(crate) const DESCRIPTOR_SET_FILE: &str = "kuberpc_descriptor.bin";

/// File name of the module tree that `kuberpc::include_protos!()` includes.
pub(crate) const INCLUDE_FILE: &str = "kuberpc_protos.rs";

/// What tonic-prost-build users configure. Each setting is handed to prost-build or
/// tonic-prost-build as their builders would hand it; kuberpc re-implements none of them.
/// Paths are protobuf paths (`.pkg.Message.field`, `.` for all), as in prost-build.
#[derive(Debug, Clone)]
pub struct StubOptions {
    pub(crate) extern_paths: Vec<(String, String)>,
    pub(crate) type_attributes: Vec<(String, String)>,
    pub(crate) message_attributes: Vec<(String, String)>,
    pub(crate) enum_attributes: Vec<(String, String)>,
    pub(crate) field_attributes: Vec<(String, String)>,
    pub(crate) bytes: Vec<String>,
    pub(crate) btree_map: Vec<String>,
    pub(crate) boxed: Vec<String>,
    pub(crate) compile_well_known_types: bool,
    pub(crate) build_server: bool,
    pub(crate) build_client: bool,
    pub(crate) server_mod_attributes: Vec<(String, String)>,
    pub(crate) client_mod_attributes: Vec<(String, String)>,
    pub(crate) include_file: Option<String>,
    pub(crate) file_descriptor_set_path: Option<std::path::PathBuf>,
}

impl Default for StubOptions {
    fn default() -> Self {
        Self {
            extern_paths: Vec::new(),
            type_attributes: Vec::new(),
            message_attributes: Vec::new(),
            enum_attributes: Vec::new(),
            field_attributes: Vec::new(),
            bytes: Vec::new(),
            btree_map: Vec::new(),
            boxed: Vec::new(),
            compile_well_known_types: false,
            build_server: true,
            build_client: true,
            server_mod_attributes: Vec::new(),
            client_mod_attributes: Vec::new(),
            include_file: None,
            file_descriptor_set_path: None,
        }
    }
}

impl StubOptions {
    /// prost-build pastes attributes into the code verbatim and panics when the result does
    /// not parse; an attribute that is not Rust is the user's mistake, named here instead.
    fn validate(&self) -> Result<(), Error> {
        let mut problems = Problems::default();
        let settings = [
            ("type_attribute", &self.type_attributes),
            ("message_attribute", &self.message_attributes),
            ("enum_attribute", &self.enum_attributes),
            ("field_attribute", &self.field_attributes),
            ("server_mod_attribute", &self.server_mod_attributes),
            ("client_mod_attribute", &self.client_mod_attributes),
        ];
        for (setting, attributes) in settings {
            for (path, attribute) in attributes {
                if let Err(error) = parse_attributes(attribute) {
                    problems.push(
                        Problem::new(format!("{setting}(\"{path}\", \"{attribute}\"): not a Rust attribute: {error}"))
                            .with_help("write the whole attribute, e.g. `#[derive(Eq, Hash)]`"),
                    );
                }
            }
        }
        problems.finish(())
    }

    /// prost-build's configuration, as `tonic_prost_build::Builder::compile_with_config` sets it.
    fn prost_config(&self) -> prost_build::Config {
        let mut config = prost_build::Config::new();
        config.type_attribute(".", "#[allow(clippy::all)]");
        for (proto_path, rust_path) in &self.extern_paths {
            config.extern_path(proto_path, rust_path);
        }
        if !self.extern_paths.iter().any(|(proto_path, _)| proto_path == VOCABULARY_PACKAGE) {
            config.extern_path(VOCABULARY_PACKAGE, "::kuberpc::options");
        }
        for (path, attribute) in &self.field_attributes {
            config.field_attribute(path, attribute);
        }
        for (path, attribute) in &self.message_attributes {
            config.message_attribute(path, attribute);
        }
        for (path, attribute) in &self.enum_attributes {
            config.enum_attribute(path, attribute);
        }
        for (path, attribute) in &self.type_attributes {
            config.type_attribute(path, attribute);
        }
        for path in &self.boxed {
            config.boxed(path);
        }
        if !self.btree_map.is_empty() {
            config.btree_map(&self.btree_map);
        }
        if !self.bytes.is_empty() {
            config.bytes(&self.bytes);
        }
        if self.compile_well_known_types {
            config.compile_well_known_types();
        }
        if self.build_server || self.build_client {
            config.service_generator(self.tonic_builder().service_generator());
        }
        config
    }

    /// tonic-prost-build's service generator settings.
    fn tonic_builder(&self) -> tonic_prost_build::Builder {
        let mut builder = tonic_prost_build::configure()
            .build_server(self.build_server)
            .build_client(self.build_client)
            .compile_well_known_types(self.compile_well_known_types);
        for (path, attribute) in &self.server_mod_attributes {
            builder = builder.server_mod_attribute(path, attribute);
        }
        for (path, attribute) in &self.client_mod_attributes {
            builder = builder.client_mod_attribute(path, attribute);
        }
        builder
    }
}

/// One or more outer attributes (`#[a] #[b]`), as prost-build will paste them.
fn parse_attributes(text: &str) -> syn::Result<()> {
    use syn::parse::Parser as _;
    let tokens: proc_macro2::TokenStream = text.parse()?;
    let attributes = syn::Attribute::parse_outer.parse2(tokens)?;
    match attributes.is_empty() {
        true => Err(syn::Error::new(proc_macro2::Span::call_site(), "expected `#[...]`")),
        false => Ok(()),
    }
}

/// The vocabulary's package: its messages are `kuberpc::options` (the facade compiles them).
const VOCABULARY_PACKAGE: &str = ".kuberpc.v1";

/// Generates `<package>.rs` for every package of `fds` that has Rust code, `kuberpc_protos.rs`
/// (and the user's `include_file`, if set) and the descriptor set. Keys are paths relative to
/// the stub directory. (The copy at the user's `file_descriptor_set_path` is a destination of
/// its own: `Config::generate` adds it.)
pub fn generate(
    fds: &prost_types::FileDescriptorSet,
    packages: &[Package],
    options: &StubOptions,
) -> Result<BTreeMap<String, Vec<u8>>, Error> {
    options.validate()?;
    let requests: Vec<_> =
        fds.file.iter().map(|file| (Module::from_protobuf_package_name(file.package()), file.clone())).collect();
    let file_names: BTreeMap<Module, String> =
        requests.iter().map(|(module, _)| (module.clone(), module.to_file_name_or("_"))).collect();

    let modules = options
        .prost_config()
        .generate(requests)
        .map_err(|e| Problem::new(format!("generating Rust stubs failed: {e}")))?;

    let mut files = BTreeMap::new();
    for (module, mut code) in modules.iter().map(|(m, c)| (m, c.clone())) {
        let package = module.parts().collect::<Vec<_>>().join(".");
        for service in packages.iter().filter(|p| p.name == package).flat_map(|p| &p.services) {
            code.push('\n');
            code.push_str(&deploy_module_source(service)?);
        }
        files.insert(file_names[module].clone(), code.into_bytes());
    }
    if let Some(name) = &options.include_file {
        // tonic-prost-build's include file, line for line: switching from it changes nothing.
        files.insert(name.clone(), include_file(modules.keys().collect(), &file_names, "").into_bytes());
    }
    let tree = include_file(modules.keys().collect(), &file_names, PROTO_COMMENTS_ARE_NOT_MARKDOWN);
    files.insert(INCLUDE_FILE.to_string(), tree.into_bytes());
    files.insert(DESCRIPTOR_SET_FILE.to_string(), encode_without_source_info(fds));
    Ok(files)
}

/// Proto comments become doc comments as written; they were never Markdown or rustdoc, so
/// the lints that read them as such would fail a user's `clippy -D warnings` on code they do
/// not own (the Kubernetes CRI's comments trip `doc_lazy_continuation`). On the modules of
/// `kuberpc_protos.rs` (what `include_protos!()` includes).
const PROTO_COMMENTS_ARE_NOT_MARKDOWN: &str =
    "#[allow(clippy::doc_lazy_continuation, clippy::doc_overindented_list_items, \
     clippy::doc_markdown, rustdoc::broken_intra_doc_links, rustdoc::bare_urls, rustdoc::invalid_html_tags)]\n";

/// Nested `pub mod` blocks, one per package segment, each including its package's file by a
/// path relative to the include file (so it works from `OUT_DIR` and any `--rust-out`).
/// The same tree prost-build's `include_file` writes, with `top_attribute` on each top-level
/// module.
fn include_file(mut modules: Vec<&Module>, file_names: &BTreeMap<Module, String>, top_attribute: &str) -> String {
    modules.sort();
    let mut out = crate::header::note("//", "the module tree of every package") + "\n";
    let mut stack: Vec<&str> = Vec::new();
    let indent = |depth: usize| "    ".repeat(depth);
    for module in modules {
        let parts: Vec<&str> = module.parts().collect();
        while !parts.starts_with(&stack) {
            stack.pop();
            out.push_str(&format!("{}}}\n", indent(stack.len())));
        }
        while stack.len() < parts.len() {
            if stack.is_empty() {
                out.push_str(top_attribute);
            }
            out.push_str(&format!("{}pub mod {} {{\n", indent(stack.len()), parts[stack.len()]));
            stack.push(parts[stack.len()]);
        }
        out.push_str(&format!("{}include!(\"{}\");\n", indent(stack.len()), file_names[module]));
    }
    for depth in (0..stack.len()).rev() {
        out.push_str(&format!("{}}}\n", indent(depth)));
    }
    out
}

/// Source info only helps code generation; reflection clients do not need it. Encoded from
/// prost's types, which leave extension options out (kuberpc's, googleapis', a user's own):
/// prost-reflect encodes their map fields in hash order, and the set is embedded in every
/// binary, which must build byte for byte alike; `base/descriptor.json` keeps the options.
pub(crate) fn encode_without_source_info(fds: &prost_types::FileDescriptorSet) -> Vec<u8> {
    let mut fds = fds.clone();
    for file in &mut fds.file {
        file.source_code_info = None;
    }
    fds.encode_to_vec()
}

/// The deploy module as formatted source, for the proto front end's stub files.
fn deploy_module_source(service: &Service) -> Result<String, Error> {
    let file = syn::parse2::<syn::File>(deploy_module(service, &quote!(::kuberpc), Graph::Resolved))
        .map_err(|e| Problem::new(format!("internal error: the deploy module of {} is not Rust: {e}", service.name)))?;
    Ok(prettyplease::unparse(&file))
}
