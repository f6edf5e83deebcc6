//! The pipeline and its builder: `.proto` → model → check → stubs + manifests → disk.
//!
//! [`Config::generate`] is pure (it reads inputs, writes nothing) and returns every output
//! file in memory, for tests and for `kuberpc check`. [`Config::compile_protos`] is the
//! build-script entry point, shaped like `tonic_prost_build`:
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), kuberpc_codegen::Error> {
//!     kuberpc_codegen::configure()
//!         .manifests_dir("deploy")
//!         .compile_protos(&["proto/greeter/v1/greeter.proto"], &["proto"])
//! }
//! ```
//!
//! [`Config::compile_rust`] is the same for `#[rpc_service]` traits: manifests, plus the
//! equivalent `.proto` under [`Config::proto_dir`] (the stubs come from the macro).
//!
//! Both front ends end in the same steps: the cross-field rules once, then the back ends,
//! each adding its files to [`Generated`] under a [`Destination`]. [`Config::write`] and
//! [`Config::diff`] hand every destination this run has switched on to the one writer.

use std::path::{Path, PathBuf};

use crate::artifacts::{self, Destination, Generated};
use crate::error::{Error, Problem, Problems};
use crate::guard::{self, Stage};
use crate::manifests::{self, Templates};
use crate::overlays::{self, OverlayCheck};
use crate::proto::stubs::{self, StubOptions};
use crate::source_tree;
use crate::writer::{self, Action, Cleanup, Report, Target};
use crate::{graph, model_rules, proto, rust};

/// A builder with every option at its default; see [`Config`].
pub fn configure() -> Config {
    Config::new()
}

/// Options of one generation run.
#[derive(Debug, Clone)]
pub struct Config {
    manifests_dir: PathBuf,
    templates_dir: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    emit_rerun_if_changed: bool,
    stubs: bool,
    manifests: bool,
    proto_dir: PathBuf,
    stub_options: StubOptions,
    peers: Vec<PathBuf>,
    peer_includes: Vec<PathBuf>,
    breaking: Option<(crate::breaking::Against, Vec<crate::breaking::Category>)>,
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

impl Config {
    /// Defaults: manifests under `deploy`, embedded templates, stubs in `$OUT_DIR`, and
    /// `cargo:rerun-if-changed` lines printed by [`Config::compile_protos`].
    pub fn new() -> Self {
        Self {
            manifests_dir: PathBuf::from("deploy"),
            templates_dir: None,
            out_dir: None,
            emit_rerun_if_changed: true,
            stubs: true,
            manifests: true,
            proto_dir: PathBuf::from("proto"),
            stub_options: StubOptions::default(),
            peers: Vec::new(),
            peer_includes: Vec::new(),
            breaking: None,
        }
    }

    /// Fails the run, before anything is written, when the protos break callers of
    /// `reference` (a git revision, or a descriptor set file) under the rules of `categories`
    /// (none: WIRE_JSON) — `kuberpc check --against` in the build. The protos may accept a
    /// change on purpose (`kuberpc:accept RULE why` on the element).
    pub fn breaking_against(&mut self, reference: &str, categories: &[crate::breaking::Category]) -> &mut Self {
        let categories =
            if categories.is_empty() { vec![crate::breaking::Category::WireJson] } else { categories.to_vec() };
        self.breaking = Some((crate::breaking::Against::parse(reference), categories));
        self
    }

    /// Where `<app>/base` and `<app>/overlays` are written. Default: `deploy`.
    pub fn manifests_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.manifests_dir = dir.as_ref().to_path_buf();
        self
    }

    /// A directory of `<name>.yaml.hbs` files replacing the embedded templates of the same
    /// name. Default: none (embedded templates only).
    pub fn templates_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.templates_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Where the Rust stubs and `kuberpc_descriptor.bin` go. Default: `$OUT_DIR` in
    /// [`Config::compile_protos`]; with [`Config::write`], no stubs are written unless set.
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Whether [`Config::compile_protos`] prints `cargo:rerun-if-changed` for every input.
    /// Default: true.
    pub fn emit_rerun_if_changed(&mut self, enabled: bool) -> &mut Self {
        self.emit_rerun_if_changed = enabled;
        self
    }

    /// Whether [`Config::generate`] produces the Rust stubs. Stub generation is most of the
    /// time of a run (prost-build and tonic formatting the code), and manifests-only callers —
    /// `kuberpc check`, `kuberpc generate` without `--rust-out` — do not need it. Default: true.
    pub fn stubs(&mut self, enabled: bool) -> &mut Self {
        self.stubs = enabled;
        self
    }

    /// Whether manifests are rendered and written. Default: true. (Off, e.g., for a second
    /// `compile_protos` call that only needs stubs of a proto whose service is already
    /// deployed from elsewhere.)
    pub fn manifests(&mut self, enabled: bool) -> &mut Self {
        self.manifests = enabled;
        self
    }

    /// Where [`Config::compile_rust`] writes the `.proto` equivalent of each package
    /// (`<dir>/counter/v1/counter.proto`). Default: `proto`.
    pub fn proto_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.proto_dir = dir.as_ref().to_path_buf();
        self
    }

    /// The other services of the system: `protos` (found through `includes`) declare services
    /// this run does not generate but whose `calls` and options the call graph needs — the
    /// callees this run's services call (their app, port, methods and namespaces), and the
    /// callers that call them (their ingress admits exactly those). A trait-first service's
    /// peer is its emitted `.proto`. Each call adds files. Default: none (the graph is this
    /// run's own services).
    pub fn peers(&mut self, protos: &[impl AsRef<Path>], includes: &[impl AsRef<Path>]) -> &mut Self {
        self.peers.extend(protos.iter().map(|p| p.as_ref().to_path_buf()));
        self.peer_includes.extend(includes.iter().map(|i| i.as_ref().to_path_buf()));
        self
    }

    /// Maps the protobuf path `proto_path` (`.google.protobuf`, `.acme.common.v1.Money`) to the
    /// existing Rust path `rust_path` instead of generating it. As prost-build's
    /// `extern_path`. Default: well-known types → `::prost_types`, the vocabulary →
    /// `::kuberpc::options`.
    pub fn extern_path(&mut self, proto_path: impl Into<String>, rust_path: impl Into<String>) -> &mut Self {
        self.stub_options.extern_paths.push((proto_path.into(), rust_path.into()));
        self
    }

    /// Adds `attribute` to every message and enum matching `path`. As prost-build's
    /// `type_attribute`. Default: `#[allow(clippy::all)]` on all, as tonic-prost-build.
    pub fn type_attribute(&mut self, path: impl Into<String>, attribute: impl Into<String>) -> &mut Self {
        self.stub_options.type_attributes.push((path.into(), attribute.into()));
        self
    }

    /// Adds `attribute` to every message matching `path`. As prost-build's `message_attribute`.
    /// Default: none.
    pub fn message_attribute(&mut self, path: impl Into<String>, attribute: impl Into<String>) -> &mut Self {
        self.stub_options.message_attributes.push((path.into(), attribute.into()));
        self
    }

    /// Adds `attribute` to every enum matching `path`. As prost-build's `enum_attribute`.
    /// Default: none.
    pub fn enum_attribute(&mut self, path: impl Into<String>, attribute: impl Into<String>) -> &mut Self {
        self.stub_options.enum_attributes.push((path.into(), attribute.into()));
        self
    }

    /// Adds `attribute` to every field matching `path`. As prost-build's `field_attribute`.
    /// Default: none.
    pub fn field_attribute(&mut self, path: impl Into<String>, attribute: impl Into<String>) -> &mut Self {
        self.stub_options.field_attributes.push((path.into(), attribute.into()));
        self
    }

    /// `bytes` fields matching `path` become `bytes::Bytes` instead of `Vec<u8>`. As
    /// prost-build's `bytes`; each call adds a path. Default: none.
    pub fn bytes(&mut self, path: impl Into<String>) -> &mut Self {
        self.stub_options.bytes.push(path.into());
        self
    }

    /// `map` fields matching `path` become `BTreeMap` instead of `HashMap`. As prost-build's
    /// `btree_map`; each call adds a path. Default: none.
    pub fn btree_map(&mut self, path: impl Into<String>) -> &mut Self {
        self.stub_options.btree_map.push(path.into());
        self
    }

    /// Message fields matching `path` are boxed. As prost-build's `boxed`. Default: none
    /// (prost-build boxes what recursion needs on its own).
    pub fn boxed(&mut self, path: impl Into<String>) -> &mut Self {
        self.stub_options.boxed.push(path.into());
        self
    }

    /// Generates the well-known types (`google.protobuf.*`) instead of using `prost-types`.
    /// As prost-build's `compile_well_known_types`. Default: false.
    pub fn compile_well_known_types(&mut self, enabled: bool) -> &mut Self {
        self.stub_options.compile_well_known_types = enabled;
        self
    }

    /// Whether the `<service>_server` modules are generated. Default: true.
    pub fn build_server(&mut self, enabled: bool) -> &mut Self {
        self.stub_options.build_server = enabled;
        self
    }

    /// Whether the `<service>_client` modules are generated. Default: true.
    pub fn build_client(&mut self, enabled: bool) -> &mut Self {
        self.stub_options.build_client = enabled;
        self
    }

    /// Adds `attribute` to the server module of every service of the packages matching
    /// `path` (`shop.v1`, `.` for all). As tonic-prost-build's `server_mod_attribute`.
    /// Default: none.
    pub fn server_mod_attribute(&mut self, path: impl Into<String>, attribute: impl Into<String>) -> &mut Self {
        self.stub_options.server_mod_attributes.push((path.into(), attribute.into()));
        self
    }

    /// Adds `attribute` to the client module of every service of the packages matching
    /// `path`. As tonic-prost-build's `client_mod_attribute`. Default: none.
    pub fn client_mod_attribute(&mut self, path: impl Into<String>, attribute: impl Into<String>) -> &mut Self {
        self.stub_options.client_mod_attributes.push((path.into(), attribute.into()));
        self
    }

    /// Also writes the module tree of every package under this file name in the stub
    /// directory, as prost-build's `include_file`. The tree is always written as
    /// `kuberpc_protos.rs` (what `kuberpc::include_protos!()` includes); this is for crates
    /// switching from tonic-prost-build that include it by their own name. Default: none.
    pub fn include_file(&mut self, name: impl Into<String>) -> &mut Self {
        self.stub_options.include_file = Some(name.into());
        self
    }

    /// Also writes the compiled descriptor set, source info included, to `path` (relative to
    /// the stub directory, or absolute), as prost-build's `file_descriptor_set_path`.
    /// `kuberpc_descriptor.bin` (for `kuberpc::include_descriptor_set!()`) is always written.
    /// Default: none.
    pub fn file_descriptor_set_path(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.stub_options.file_descriptor_set_path = Some(path.as_ref().to_path_buf());
        self
    }

    /// Compiles `protos` (found through `includes`) and renders every output file in memory.
    /// Writes nothing. All problems of the run are returned together.
    pub fn generate(&self, protos: &[impl AsRef<Path>], includes: &[impl AsRef<Path>]) -> Result<Generated, Error> {
        let input = input_names(protos);
        let mut problems = Problems::default();
        if let Some((against, categories)) = &self.breaking {
            let protos: Vec<PathBuf> = protos.iter().map(|p| p.as_ref().to_path_buf()).collect();
            let mut includes: Vec<PathBuf> = includes.iter().map(|i| i.as_ref().to_path_buf()).collect();
            // The peers are found as compile_peers finds them.
            includes.extend(self.peer_includes.iter().cloned());
            let sources = crate::breaking::Sources { protos: &protos, includes: &includes, peers: &self.peers };
            let checked = crate::breaking::check(sources, against, categories)?;
            if self.emit_rerun_if_changed {
                // In a build script: what was accepted, and the rollout notes, shown by cargo.
                checked.remarks().iter().for_each(|line| println!("cargo:warning=kuberpc: {line}"));
            }
            checked.breaking.into_iter().for_each(|p| problems.push(p));
        }
        let templates = problems.take(self.templates());
        let compiled = problems.take(guard::run(Stage::Parse, &input, || proto::compile(protos, includes)));
        let peers = problems.take(self.compile_peers(includes));
        let (Some(templates), Some(compiled), Some(peers)) = (templates, compiled, peers) else {
            return Err(problems.into_error());
        };
        // Option mistakes and cross-field rules are reported together, before any output.
        compiled.problems.iter().cloned().for_each(|p| problems.push(p));
        let mut generated = Generated::new(compiled.packages, compiled.sources);
        generated.source_packages.extend(compiled.source_packages.iter().cloned());
        self.render(&mut generated, &peers, &templates, &input, problems)?;
        if self.stubs {
            let stubs = guard::run(Stage::Stubs, &input, || {
                stubs::generate(&compiled.file_descriptor_set, &generated.packages, &self.stub_options)
            })?;
            generated.add(Destination::Stubs, artifacts::stub_files(stubs));
            if let Some(name) = self.stub_options.file_descriptor_set_path.as_ref().and_then(|p| p.file_name()) {
                // As prost-build writes it: source info included (extension options are
                // left out, as by `kuberpc_descriptor.bin`).
                let set = prost::Message::encode_to_vec(&compiled.file_descriptor_set);
                let file = (name.to_string_lossy().into_owned(), set);
                generated.add(Destination::DescriptorSetPath, artifacts::stub_files([file]));
            }
        }
        generated.inputs = compiled.inputs;
        generated.inputs.extend(self.peers.iter().cloned());
        generated.inputs.extend(templates.overrides().iter().cloned());
        Ok(generated)
    }

    /// The services of the peers ([`Config::peers`]), read with `includes` and the peers' own
    /// include paths. Their option mistakes are theirs to report (their own build does); a
    /// peer that does not compile is an error here.
    fn compile_peers(&self, includes: &[impl AsRef<Path>]) -> Result<Vec<crate::model::Package>, Error> {
        if self.peers.is_empty() {
            return Ok(Vec::new());
        }
        let mut all: Vec<PathBuf> = includes.iter().map(|i| i.as_ref().to_path_buf()).collect();
        all.extend(self.peer_includes.iter().cloned());
        let input = input_names(&self.peers);
        Ok(guard::run(Stage::Parse, &input, || proto::compile(&self.peers, &all))?.packages)
    }

    /// The trait-first twin of [`Config::generate`]: reads the `#[rpc_service]` traits (and
    /// the prost messages) of the Rust `files`, renders the same manifests and the
    /// equivalent `.proto` of each package, plus the descriptor set of those protos (for
    /// reflection) as the only stub. Writes nothing.
    pub fn generate_rust(&self, files: &[impl AsRef<Path>]) -> Result<Generated, Error> {
        let mut problems = Problems::default();
        let mut sources = Vec::new();
        for file in files {
            let file = file.as_ref();
            match std::fs::read_to_string(file) {
                Ok(text) => sources.push((file.display().to_string(), text)),
                Err(e) => problems.push(Problem::new(format!("cannot read {}: {e}", file.display()))),
            }
        }
        problems.finish(())?;
        let sources: Vec<(&str, &str)> = sources.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        let mut generated = self.generate_rust_sources(&sources)?;
        generated.inputs.splice(0..0, files.iter().map(|f| f.as_ref().to_path_buf()));
        Ok(generated)
    }

    /// [`Config::generate_rust`] on `(name, text)` sources held in memory (for tests); `name`
    /// is how headers and problems call the file.
    pub fn generate_rust_sources(&self, files: &[(&str, &str)]) -> Result<Generated, Error> {
        let input = files.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ");
        let mut problems = Problems::default();
        let templates = problems.take(self.templates());
        let parse = || {
            let mut found = Problems::default();
            let parsed: Vec<rust::ParsedFile> =
                files.iter().filter_map(|(name, text)| rust::parse_source(name, text, &mut found)).collect();
            Ok((parsed, found))
        };
        let (parsed, found) = guard::run(Stage::Traits, &input, parse)?;
        found.into_vec().into_iter().for_each(|p| problems.push(p));
        let peers = problems.take(self.compile_peers(&[] as &[PathBuf]));
        let (Some(templates), Some(peers)) = (templates, peers) else { return Err(problems.into_error()) };
        let packages = parsed.iter().flat_map(|f| &f.services).map(|s| s.package.clone()).collect();
        let sources = files.iter().map(|(name, _)| name.to_string()).collect();
        let mut generated = Generated::new(packages, sources);
        self.resolve(&mut generated, &peers, problems)?;
        let (emitted, descriptors) =
            guard::run(Stage::Traits, &input, || rust::proto_file::emit_all(&generated.packages, &parsed))?;
        // Each service's record, from its emitted proto as compiled.
        let recorded = descriptors.packages.iter().flat_map(|p| &p.services);
        for service in generated.packages.iter_mut().flat_map(|p| &mut p.services) {
            service.descriptor =
                recorded.clone().find(|r| r.full_name == service.full_name).and_then(|r| r.descriptor.clone());
        }
        self.render_manifests(&mut generated, &templates, &input)?;
        generated.add(Destination::Protos, artifacts::generated_files(emitted));
        if self.stubs {
            let descriptor_set = stubs::encode_without_source_info(&descriptors.file_descriptor_set);
            let mut files = vec![(stubs::DESCRIPTOR_SET_FILE.to_string(), descriptor_set)];
            // The macro's module includes these: only this run knows the callees and callers.
            let services = generated.packages.iter().flat_map(|p| &p.services);
            files.extend(services.clone().filter(|s| !s.deploy.calls.is_empty()).map(|service| {
                let constants = crate::deploy_module::callee_constants(service, &quote::quote!(::kuberpc));
                (crate::deploy_module::calls_file_name(service), constants.to_string().into_bytes())
            }));
            files.extend(services.filter(|s| s.deploy.mtls.is_some()).map(|service| {
                let constant = crate::deploy_module::caller_constant(service, &quote::quote!(::kuberpc));
                (crate::deploy_module::callers_file_name(service), constant.to_string().into_bytes())
            }));
            generated.add(Destination::Stubs, artifacts::stub_files(files));
        }
        generated.inputs = templates.overrides().to_vec();
        generated.inputs.extend(self.peers.iter().cloned());
        Ok(generated)
    }

    fn templates(&self) -> Result<Templates, Error> {
        match &self.templates_dir {
            Some(dir) => Templates::with_overrides(dir),
            None => Ok(Templates::embedded()),
        }
    }

    /// Runs the cross-field rules once over the model and resolves the call graph against
    /// `peers` (so that both are reported together with the front end's `problems`), then
    /// renders every app's manifests, when wanted.
    fn render(
        &self,
        generated: &mut Generated,
        peers: &[crate::model::Package],
        templates: &Templates,
        input: &str,
        problems: Problems,
    ) -> Result<(), Error> {
        self.resolve(generated, peers, problems)?;
        self.render_manifests(generated, templates, input)
    }

    /// The cross-service rules and the call graph over `generated` and `peers`; `Err` with
    /// every problem of the run so far when any is found.
    fn resolve(
        &self,
        generated: &mut Generated,
        peers: &[crate::model::Package],
        mut problems: Problems,
    ) -> Result<(), Error> {
        problems.take(model_rules::enforce(&generated.packages));
        graph::resolve(&mut generated.packages, peers, &mut problems);
        problems.finish(())
    }

    /// Every app's manifests, when they are switched on.
    fn render_manifests(&self, generated: &mut Generated, templates: &Templates, input: &str) -> Result<(), Error> {
        let mut problems = Problems::default();
        let mut files = Vec::new();
        for package in generated.packages.iter().filter(|_| self.manifests) {
            for service in &package.services {
                match guard::run(Stage::Manifests, input, || manifests::render(package, service, templates)) {
                    Ok(app_files) => files.extend(app_files),
                    Err(error) => problems.extend(error),
                }
            }
        }
        generated.add(Destination::Manifests, files);
        problems.finish(())
    }

    /// Writes what a run produced, every destination that is switched on ([`Config::manifests`],
    /// [`Config::stubs`] with an [`Config::out_dir`], the proto directory) at once. Nothing is
    /// written anywhere if anything would be refused.
    pub fn write(&self, generated: &Generated) -> Result<Report, Error> {
        writer::write(&self.targets(generated))
    }

    /// What [`Config::write`] would change, over the same destinations, as a report and a
    /// unified diff; the diff is empty when everything is up to date.
    pub fn diff(&self, generated: &Generated) -> Result<(Report, String), Error> {
        writer::diff(&self.targets(generated))
    }

    /// Builds every overlay of the apps `generated` holds, as they are on disk, with `kubectl
    /// kustomize`: the overlays are the user's, and a change of the source can break one.
    pub fn build_overlays(&self, generated: &Generated) -> OverlayCheck {
        match self.root(Destination::Manifests) {
            Some(dir) => overlays::build(&dir, generated, |_| true),
            None => OverlayCheck::Built { count: 0, broken: Vec::new() },
        }
    }

    /// [`Config::build_overlays`] for the apps whose generated files `report` (of
    /// [`Config::write`]) changed: only a change of what the source generates can break an
    /// overlay, so a run that changed nothing builds nothing (`kuberpc check` builds them all).
    pub fn build_changed_overlays(&self, generated: &Generated, report: &Report) -> OverlayCheck {
        let Some(dir) = self.root(Destination::Manifests) else {
            return OverlayCheck::Built { count: 0, broken: Vec::new() };
        };
        let changed = |app: &str| {
            let app_dir = dir.join(app);
            report
                .iter()
                .any(|(path, action)| !matches!(action, Action::Unchanged | Action::Kept) && path.starts_with(&app_dir))
        };
        overlays::build(&dir, generated, changed)
    }

    /// The directory of `destination`, when this run writes it.
    fn root(&self, destination: Destination) -> Option<std::borrow::Cow<'_, Path>> {
        match destination {
            Destination::Manifests => self.manifests.then_some(self.manifests_dir.as_path().into()),
            Destination::Protos => Some(self.proto_dir.as_path().into()),
            Destination::Stubs => self.out_dir.as_deref().filter(|_| self.stubs).map(Into::into),
            Destination::DescriptorSetPath => {
                let path = self
                    .out_dir
                    .as_deref()
                    .filter(|_| self.stubs)?
                    .join(self.stub_options.file_descriptor_set_path.as_ref()?);
                Some(path.parent().unwrap_or(Path::new("/")).to_path_buf().into())
            }
        }
    }

    /// One writer target per destination this run writes.
    fn targets<'a>(&'a self, generated: &'a Generated) -> Vec<Target<'a>> {
        let target = |destination| {
            let cleanup = match destination {
                Destination::Manifests => self.cleanup(generated),
                Destination::Protos | Destination::Stubs | Destination::DescriptorSetPath => Cleanup::default(),
            };
            Some(Target { root: self.root(destination)?, files: generated.files(destination), cleanup })
        };
        Destination::ALL.into_iter().filter_map(target).collect()
    }

    /// The build-script entry point: generate, write stubs to `$OUT_DIR` (or
    /// [`Config::out_dir`]) and manifests to [`Config::manifests_dir`], and print
    /// `cargo:rerun-if-changed` for every input.
    pub fn compile_protos(&self, protos: &[impl AsRef<Path>], includes: &[impl AsRef<Path>]) -> Result<(), Error> {
        self.build_script(protos, |config| config.generate(protos, includes))
    }

    /// The build-script entry point of the trait-first path: [`Config::generate_rust`] on
    /// `files` (e.g. `["src/lib.rs"]`), then manifests to [`Config::manifests_dir`], each
    /// package's `.proto` to [`Config::proto_dir`] and `kuberpc_descriptor.bin` to `$OUT_DIR`
    /// (so `kuberpc::include_descriptor_set!()` serves reflection).
    pub fn compile_rust(&self, files: &[impl AsRef<Path>]) -> Result<(), Error> {
        self.build_script(files, |config| config.generate_rust(files))
    }

    /// What both build-script entry points share: `$OUT_DIR`, `rerun-if-changed`, writing.
    fn build_script(
        &self,
        given: &[impl AsRef<Path>],
        generate: impl FnOnce(&Config) -> Result<Generated, Error>,
    ) -> Result<(), Error> {
        let mut config = self.clone();
        if config.out_dir.is_none() {
            let out_dir = std::env::var_os("OUT_DIR").ok_or_else(|| {
                Problem::new(
                    "OUT_DIR is not set: compile_protos and compile_rust are meant for build scripts (or set out_dir)",
                )
            })?;
            config.out_dir = Some(PathBuf::from(out_dir));
        }
        config.keep_out_of_the_source_tree();
        if self.emit_rerun_if_changed {
            for file in given {
                println!("cargo:rerun-if-changed={}", file.as_ref().display());
            }
            if let Some(dir) = &self.templates_dir {
                println!("cargo:rerun-if-changed={}", dir.display());
            }
        }
        let generated = generate(&config)?;
        if self.emit_rerun_if_changed {
            for input in &generated.inputs {
                println!("cargo:rerun-if-changed={}", input.display());
            }
        }
        let report = config.write(&generated)?;
        let changed: Vec<&PathBuf> = report
            .iter()
            .filter(|(_, action)| !matches!(action, Action::Unchanged | Action::Kept))
            .map(|(path, _)| path)
            .filter(|path| !config.out_dir.as_ref().is_some_and(|out| path.starts_with(out)))
            .collect();
        if !changed.is_empty() {
            let names: Vec<String> = changed.iter().take(5).map(|p| p.display().to_string()).collect();
            let more = if changed.len() > 5 { format!(" and {} more", changed.len() - 5) } else { String::new() };
            println!("cargo:warning=kuberpc: updated {} generated file(s): {}{more}", changed.len(), names.join(", "));
            warn_about_overlays(&config.build_changed_overlays(&generated, &report));
        }
        Ok(())
    }

    /// When the source tree is off limits ([`crate::source_tree`]), manifests and emitted
    /// protos go under `$OUT_DIR/kuberpc/` instead, and the build says so.
    fn keep_out_of_the_source_tree(&mut self) {
        let Some(out_dir) = self.out_dir.clone() else { return };
        if let Some(reason) = source_tree::off_limits(&[&self.manifests_dir, &self.proto_dir]) {
            self.manifests_dir = out_dir.join("kuberpc").join("deploy");
            self.proto_dir = out_dir.join("kuberpc").join("proto");
            println!(
                "cargo:warning=kuberpc: {reason}, so nothing is written into the source tree: manifests and protos \
                 are in {}",
                out_dir.join("kuberpc").display()
            );
        }
    }

    /// Leftovers may go from `<app>/base` of every app directory, when a proto of this run
    /// generated them (a service that was removed or renamed).
    fn cleanup(&self, generated: &Generated) -> Cleanup {
        let mut apps: Vec<PathBuf> = std::fs::read_dir(&self.manifests_dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().filter(|e| e.path().join("base").is_dir()).map(|e| PathBuf::from(e.file_name())))
            .collect();
        apps.extend(generated.packages.iter().flat_map(|p| &p.services).map(|s| PathBuf::from(&s.deploy.app)));
        apps.sort();
        apps.dedup();
        let mut dirs: Vec<PathBuf> = apps.iter().map(|app| app.join("base")).collect();
        for app in &apps {
            // Every environment's component on disk, so a removed environment's files go too.
            let components = std::fs::read_dir(self.manifests_dir.join(app).join("components")).into_iter().flatten();
            dirs.extend(
                components
                    .filter_map(|e| e.ok().filter(|e| e.path().is_dir()))
                    .map(|e| app.join("components").join(e.file_name())),
            );
        }
        Cleanup { dirs, sources: generated.sources.clone(), packages: generated.source_packages.clone() }
    }
}

/// One `cargo:warning` per overlay the change broke (or why none were built).
fn warn_about_overlays(check: &OverlayCheck) {
    if let OverlayCheck::Skipped(why) = check {
        println!("cargo:warning=kuberpc: {why}");
    }
    for broken in check.broken() {
        // One cargo:warning per line: the whole message on one.
        println!("cargo:warning=kuberpc: {}", broken.to_string().replace('\n', " "));
    }
}

/// The given files as problems name them: `a.proto, b.proto`.
fn input_names(files: &[impl AsRef<Path>]) -> String {
    files.iter().map(|f| f.as_ref().display().to_string()).collect::<Vec<_>>().join(", ")
}
