//! The proto front end: `.proto` files → [`Package`]s.
//!
//! protox compiles the files (no `protoc`); `kuberpc/v1/options.proto` resolves from the copy
//! embedded in this crate, ahead of the include paths, so every user sees the same
//! vocabulary; googleapis' `google/api/annotations.proto` and `http.proto` resolve from copies
//! embedded too, after the include paths. prost-reflect reads `(kuberpc.v1.service)` and `(kuberpc.v1.method)` from the
//! descriptors into [`ServiceOptions`] / [`MethodOptions`]; spans for diagnostics come from
//! `source_code_info`. Entry point: [`compile`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use prost_reflect::{DescriptorPool, DynamicMessage, ExtensionDescriptor, FileDescriptor};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver, IncludeFileResolver};

use crate::error::{Error, Problem, Problems, SourceFile, Span, Spans};
use crate::model::{Method, Package, Service};
use crate::options::{self, literal, MethodOptions, ServiceOptions, OPTIONS_PROTO, OPTIONS_PROTO_NAME};
use crate::schema::{self, fields, Field};

use super::{http, openapi};

const SERVICE_EXTENSION: &str = "kuberpc.v1.service";
const METHOD_EXTENSION: &str = "kuberpc.v1.method";

// Field numbers of descriptor.proto used to build source_code_info paths.
const FILE_SERVICE: i32 = 6;
const SERVICE_METHOD: i32 = 2;
const SERVICE_OPTIONS: i32 = 3;
const METHOD_OPTIONS: i32 = 4;

/// The result of compiling a set of `.proto` files.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// One entry per protobuf package that declares services in the given files.
    pub packages: Vec<Package>,
    /// Every compiled file, imports included, with source info (for stub generation).
    /// prost's types drop extension options (the record, `proto::record`, keeps them).
    pub file_descriptor_set: prost_types::FileDescriptorSet,
    /// Every file read from disk, imports included (for `cargo:rerun-if-changed`).
    pub inputs: Vec<PathBuf>,
    /// The names of the given (non-import) files, as descriptors and headers name them.
    pub sources: Vec<String>,
    /// The packages those files declare (also the ones without services).
    pub source_packages: Vec<String>,
    /// Mistakes in option values. The model is still built (with defaults in their place)
    /// so that the cross-field checks can report in the same run.
    pub problems: Vec<Problem>,
}

/// Compiles `protos` with the include paths `includes` and builds the model of every service
/// declared in `protos` (services of imported files are not deployed). `Err` holds the
/// protobuf errors of every file that does not compile.
pub(crate) fn compile(protos: &[impl AsRef<Path>], includes: &[impl AsRef<Path>]) -> Result<Compiled, Error> {
    let includes: Vec<PathBuf> = includes.iter().map(|i| i.as_ref().to_path_buf()).collect();
    let mut paths = ChainFileResolver::new();
    for include in &includes {
        paths.add(IncludeFileResolver::new(include.clone()));
    }
    let resolver = resolver(paths);
    let source_of = |name: &str| {
        let path = includes.iter().map(|i| i.join(name)).find(|p| p.is_file())?;
        Some(SourceFile::new(display_path(&path), std::fs::read_to_string(&path).ok()?))
    };
    let protos: Vec<&Path> = protos.iter().map(AsRef::as_ref).collect();
    compile_with(resolver, &protos, &source_of)
}

/// Compiles `(name, text)` files held in memory (they may import each other and the
/// vocabulary); for tests and fuzzing.
pub fn compile_in_memory(files: &[(&str, &str)]) -> Result<Compiled, Error> {
    let files: BTreeMap<String, String> = files.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    let resolver = resolver(InMemoryResolver(files.clone()));
    let source_of = |name: &str| files.get(name).map(|text| SourceFile::new(name, text.as_str()));
    let names: Vec<&Path> = files.keys().map(Path::new).collect();
    compile_with(resolver, &names, &source_of)
}

/// Where kuberpc finds a file a proto names: the vocabulary (`kuberpc/v1/options.proto`),
/// then `sources` (the include paths, or another source of the same files), then googleapis'
/// http annotations and the well-known types.
pub(crate) fn resolver(sources: impl FileResolver + 'static) -> ChainFileResolver {
    let mut resolver = ChainFileResolver::new();
    resolver.add(VocabularyResolver);
    resolver.add(sources);
    resolver.add(GoogleApiResolver);
    resolver.add(GoogleFileResolver::new());
    resolver
}

pub(crate) fn compile_with(
    resolver: ChainFileResolver,
    protos: &[&Path],
    source_of: &dyn Fn(&str) -> Option<SourceFile>,
) -> Result<Compiled, Error> {
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(true).include_source_info(true);
    let mut protobuf_errors = Problems::default();
    for proto in protos {
        if let Err(error) = compiler.open_file(proto) {
            protobuf_errors.push(protox_problem(&error, source_of));
        }
    }
    protobuf_errors.finish(())?;
    let mut problems = Problems::default();

    let pool = compiler.descriptor_pool();
    let reader = OptionReader::new(&pool);
    let mut packages: Vec<Package> = Vec::new();
    let mut inputs = Vec::new();
    let mut sources = Vec::new();
    let mut source_packages = Vec::new();
    for meta in compiler.files() {
        if let Some(path) = meta.path() {
            inputs.push(path.to_path_buf());
        }
        if meta.is_import() {
            continue;
        }
        sources.push(meta.name().to_string());
        let Some(file) = pool.get_file_by_name(meta.name()) else {
            continue;
        };
        source_packages.push(file.package_name().to_string());
        let locator = Locator::new(&file, source_of(meta.name()));
        add_services(&mut packages, &file, reader.services(&file, &locator, &mut problems));
    }
    let file_descriptor_set = compiler.file_descriptor_set();
    let problems = problems.into_error().problems().to_vec();
    Ok(Compiled { packages, file_descriptor_set, inputs, sources, source_packages, problems })
}

/// The services every file of `pool` declares, read from their options (those encoded as
/// extensions: a pool decoded from bytes keeps them), without source places; `Err` with the
/// options' mistakes (a build reports them in its sources; in descriptors they were written
/// by hand).
pub(crate) fn packages_of(pool: &DescriptorPool) -> Result<Vec<Package>, Error> {
    let reader = OptionReader { outputs: false, ..OptionReader::new(pool) };
    let mut packages = Vec::new();
    let mut problems = Problems::default();
    for file in pool.files() {
        let services = reader.services(&file, &Locator::new(&file, None), &mut problems);
        add_services(&mut packages, &file, services);
    }
    problems.finish(packages)
}

/// Whether any service of `pool`, or any of its methods, carries a kuberpc option (a pool
/// decoded from descriptors that dropped them has none).
pub(crate) fn has_vocabulary_options(pool: &DescriptorPool) -> bool {
    let reader = OptionReader::new(pool);
    pool.services().any(|service| {
        extension_in(&service.options(), reader.service.as_ref()).is_some()
            || service.methods().any(|method| extension_in(&method.options(), reader.method.as_ref()).is_some())
    })
}

fn add_services(packages: &mut Vec<Package>, file: &FileDescriptor, services: Vec<Service>) {
    for service in services {
        match packages.iter_mut().find(|p| p.name == file.package_name()) {
            Some(package) => package.services.push(service),
            None => packages.push(Package { name: file.package_name().to_string(), services: vec![service] }),
        }
    }
}

/// A path as shown in diagnostics: `./greeter.proto` → `greeter.proto`.
fn display_path(path: &Path) -> String {
    path.strip_prefix(".").unwrap_or(path).display().to_string()
}

/// Serves files held in memory by name.
struct InMemoryResolver(BTreeMap<String, String>);

impl FileResolver for InMemoryResolver {
    fn resolve_path(&self, path: &Path) -> Option<String> {
        let name = path.to_str()?;
        self.0.contains_key(name).then(|| name.to_string())
    }

    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.0.get(name) {
            Some(text) => File::from_source(name, text),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// Serves the embedded vocabulary as `kuberpc/v1/options.proto`.
struct VocabularyResolver;

impl FileResolver for VocabularyResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if name == OPTIONS_PROTO_NAME {
            File::from_source(name, OPTIONS_PROTO)
        } else {
            Err(protox::Error::file_not_found(name))
        }
    }
}

/// `google/api/annotations.proto` and `google/api/http.proto` (googleapis, as
/// googleapis-common-protos 1.76.0 ships them), for the REST bindings: after the include
/// paths, so that a project's own copy of googleapis wins.
struct GoogleApiResolver;

pub(crate) const GOOGLE_API: [(&str, &str); 2] = [
    ("google/api/annotations.proto", include_str!("../../proto/google/api/annotations.proto")),
    ("google/api/http.proto", include_str!("../../proto/google/api/http.proto")),
];

impl FileResolver for GoogleApiResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match GOOGLE_API.iter().find(|(known, _)| *known == name) {
            Some((_, source)) => File::from_source(name, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// Turns a protox error into a problem at its file, line and column.
fn protox_problem(error: &protox::Error, source_of: &dyn Fn(&str) -> Option<SourceFile>) -> Problem {
    use miette::Diagnostic;
    let message = error.to_string();
    let source = error.file().and_then(source_of);
    let label = error.labels().and_then(|mut labels| labels.next());
    let span = match (source, label) {
        (Some(source), Some(label)) => Some(source.span(label.offset(), label.len())),
        _ => None,
    };
    // protox rejects an unknown field inside an option literal with a message about the
    // whole option; name the field itself, with a suggestion, when it is ours.
    if let Some(unknown) = span.as_ref().and_then(unknown_vocabulary_field) {
        return unknown;
    }
    // protox rejects a value of the wrong type for the whole option, too.
    if let Some(wrong) =
        span.as_ref().filter(|_| message.starts_with("invalid value of type")).and_then(wrong_value_type)
    {
        return wrong;
    }
    let problem = Problem::at(message, span);
    match error.help() {
        Some(help) => problem.with_help(help.to_string()),
        None => problem,
    }
}

/// In a `(kuberpc.v1.…)` option statement, the first field name the vocabulary does not
/// have, as a problem at that name with the closest known field as help.
fn unknown_vocabulary_field(statement: &Span) -> Option<Problem> {
    let (_, body_start) = vocabulary_option(statement.text())?;
    let known = schema::field_names();
    let body = &statement.text()[body_start..];
    let (offset, name) = literal::field_names(body).into_iter().find(|(_, name)| !known.contains(name))?;
    let at = statement.file().span(statement.offset() + body_start + offset, name.len());
    Some(Problem::at(crate::suggest::unknown_option(name, &known), Some(at)))
}

/// In a `(kuberpc.v1.…)` option statement, the first value of the wrong type, as a problem at
/// that value naming the field and what it expects.
fn wrong_value_type(statement: &Span) -> Option<Problem> {
    let (root, body_start) = vocabulary_option(statement.text())?;
    let (offset, len, problem) = literal::wrong_value_type(&statement.text()[body_start..], root)?;
    let at = statement.file().span(statement.offset() + body_start + offset, len);
    Some(Problem::at(problem, Some(at)))
}

/// In the text of a `(kuberpc.v1.service|method) = { … }` statement: the field table of the
/// option's message, and where its body starts.
fn vocabulary_option(text: &str) -> Option<(&'static [Field], usize)> {
    let root = if text.contains(&format!("({SERVICE_EXTENSION})")) {
        fields::SERVICE_DEPLOYMENT
    } else if text.contains(&format!("({METHOD_EXTENSION})")) {
        fields::METHOD_BEHAVIOUR
    } else {
        return None;
    };
    let at = text.find("(kuberpc.v1.")?;
    Some((root, at + text[at..].find('=')? + 1))
}

/// The vocabulary compiled, with source info (its comments), imports included: what the
/// generated files under `options/` are made from.
#[cfg(test)]
pub(crate) fn vocabulary_descriptor_set() -> Option<prost_types::FileDescriptorSet> {
    let mut resolver = ChainFileResolver::new();
    resolver.add(VocabularyResolver);
    resolver.add(GoogleFileResolver::new());
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(true).include_source_info(true);
    compiler.open_file(OPTIONS_PROTO_NAME).ok()?;
    Some(compiler.file_descriptor_set())
}

/// Finds the place of descriptor paths in one file's `source_code_info`.
struct Locator {
    source: Option<SourceFile>,
    spans: BTreeMap<Vec<i32>, Vec<i32>>,
}

impl Locator {
    fn new(file: &FileDescriptor, source: Option<SourceFile>) -> Self {
        let info = file.file_descriptor_proto().source_code_info.clone().unwrap_or_default();
        let spans = info.location.into_iter().map(|l| (l.path, l.span)).collect();
        Self { source, spans }
    }

    /// The span recorded for exactly `path`.
    fn exact_span(&self, path: &[i32]) -> Option<Span> {
        let source = self.source.as_ref()?;
        let span = self.spans.get(path)?;
        let (line, column) = (*span.first()? as usize, *span.get(1)? as usize);
        let (end_line, end_column) = match span.as_slice() {
            [_, _, end_column] => (line, *end_column as usize),
            [_, _, end_line, end_column, ..] => (*end_line as usize, *end_column as usize),
            _ => (line, column),
        };
        Some(source.span_lines(line, column, end_line, end_column))
    }

    /// Spans of the item at `item` and, when the vocabulary is known, of every field of the
    /// `extension` option (at `item` + `options_field` + extension number), keyed by dotted
    /// option path.
    fn spans(&self, item: &[i32], options_field: i32, extension: Option<&ExtensionDescriptor>) -> Spans {
        let mut spans = Spans::default();
        let mut option_path = item.to_vec();
        if let Some(extension) = extension {
            option_path.extend([options_field, extension.number() as i32]);
        }
        // The option statement when there is one, else the declaration itself.
        let statement = self.exact_span(&option_path);
        if let Some(span) = statement.clone().or_else(|| self.exact_span(item)) {
            spans.insert("", span);
        }
        let Some(message) = extension.and_then(|e| e.kind().as_message().cloned()) else {
            return spans;
        };
        for (name, numbers, field) in group_fields(&message) {
            let field_path = [option_path.as_slice(), &numbers].concat();
            let found = self.exact_span(&field_path).or_else(|| statement.as_ref()?.find_field(&name));
            if let Some(span) = found {
                spans.insert(name.clone(), span);
            }
            if let (Some(child), true, Some(statement)) = (field.kind().as_message(), field.is_list(), &statement) {
                element_spans(statement, &name, child, &mut spans);
            }
        }
        spans
    }
}

/// Spans of each element of the repeated group `name` (`name[i]`) and of the fields written
/// in it (`name[i].field`), found in the option statement's text.
fn element_spans(statement: &Span, name: &str, message: &prost_reflect::MessageDescriptor, spans: &mut Spans) {
    let field_name = name.rsplit('.').next().unwrap_or(name);
    for (index, element) in statement.find_elements(field_name).into_iter().enumerate() {
        let prefix = format!("{name}[{index}]");
        spans.insert(prefix.clone(), element.truncated(field_name.len()));
        for (path, _, _) in group_fields(message) {
            if let Some(span) = element.find_field(&path) {
                spans.insert(format!("{prefix}.{path}"), span);
            }
        }
    }
}

/// Every field of `message` and of the groups nested in it (not into maps or repeated
/// groups), as its dotted path, its field numbers from `message` down, and its descriptor.
fn group_fields(message: &prost_reflect::MessageDescriptor) -> Vec<(String, Vec<i32>, prost_reflect::FieldDescriptor)> {
    let mut fields = Vec::new();
    let mut stack = vec![(String::new(), Vec::new(), message.clone())];
    while let Some((prefix, numbers, message)) = stack.pop() {
        for field in message.fields() {
            let path = if prefix.is_empty() { field.name().to_string() } else { format!("{prefix}.{}", field.name()) };
            let numbers = [numbers.as_slice(), &[field.number() as i32]].concat();
            if let (Some(child), false) = (field.kind().as_message().cloned(), field.is_map() || field.is_list()) {
                stack.push((path.clone(), numbers.clone(), child));
            }
            fields.push((path, numbers, field));
        }
    }
    fields
}

/// Reads the kuberpc extensions out of descriptor options. The extensions are absent when
/// no compiled file imports the vocabulary: every service then gets the defaults.
struct OptionReader {
    service: Option<ExtensionDescriptor>,
    method: Option<ExtensionDescriptor>,
    /// `google.api.http`, when a compiled file imports google/api/annotations.proto.
    http: Option<ExtensionDescriptor>,
    /// Whether each service's OpenAPI document and descriptor record are made (a build's
    /// outputs; a check's reference needs neither).
    outputs: bool,
}

impl OptionReader {
    fn new(pool: &DescriptorPool) -> Self {
        Self {
            service: pool.get_extension_by_name(SERVICE_EXTENSION),
            method: pool.get_extension_by_name(METHOD_EXTENSION),
            http: pool.get_extension_by_name(http::HTTP_EXTENSION),
            outputs: true,
        }
    }

    fn services(&self, file: &FileDescriptor, locator: &Locator, problems: &mut Problems) -> Vec<Service> {
        let index_of = |i: usize| i32::try_from(i).unwrap_or(i32::MAX);
        file.services()
            .enumerate()
            .map(|(i, service)| {
                let item = [FILE_SERVICE, index_of(i)];
                let spans = locator.spans(&item, SERVICE_OPTIONS, self.service.as_ref());
                let written = extension_in(&service.options(), self.service.as_ref())
                    .map(|m| read_typed::<ServiceOptions>(&m))
                    .unwrap_or_default();
                let deploy = options::resolve_deploy(service.name(), &written, &spans, problems);
                let context = options::ServiceContext {
                    full_name: service.full_name(),
                    written: &written,
                    deploy: &deploy,
                    spans: &spans,
                };
                let mut bindings = Vec::new();
                let methods = service
                    .methods()
                    .enumerate()
                    .map(|(j, method)| {
                        let item = [FILE_SERVICE, index_of(i), SERVICE_METHOD, index_of(j)];
                        let written = extension_in(&method.options(), self.method.as_ref())
                            .map(|m| read_typed::<MethodOptions>(&m));
                        let streaming = (method.is_client_streaming(), method.is_server_streaming());
                        let rest = self.bindings(&method, &item, locator, problems);
                        let method_rest = rest.iter().map(|binding| binding.rule.clone()).collect();
                        bindings.extend(rest);
                        let spans = locator.spans(&item, METHOD_OPTIONS, self.method.as_ref());
                        let written = written.unwrap_or_default();
                        let (policy, slo) =
                            options::resolve_method(&context, method.name(), &written, streaming, &spans, problems);
                        Method { name: method.name().to_string(), policy, rest: method_rest, slo, spans }
                    })
                    .collect();
                http::duplicate_routes(&bindings, problems);
                let openapi = self.outputs.then(|| openapi::of(&service, &bindings, &deploy)).flatten();
                Service {
                    name: service.name().to_string(),
                    full_name: service.full_name().to_string(),
                    source_file: file.name().to_string(),
                    methods,
                    deploy,
                    openapi,
                    descriptor: self.outputs.then(|| super::record::of(file)).flatten(),
                    spans,
                }
            })
            .collect()
    }
}

impl OptionReader {
    /// The REST bindings of the method at `item` (its `google.api.http` option), checked.
    fn bindings(
        &self,
        method: &prost_reflect::MethodDescriptor,
        item: &[i32],
        locator: &Locator,
        problems: &mut Problems,
    ) -> Vec<http::Binding> {
        let Some(rule) = extension_in(&method.options(), self.http.as_ref()) else { return Vec::new() };
        let number = self.http.as_ref().map_or(0, |http| http.number() as i32);
        let statement = locator.exact_span(&[item, &[METHOD_OPTIONS, number]].concat());
        http::bindings(method, &rule, statement.as_ref(), problems)
    }
}

/// The kuberpc extension message in `options`, when the user wrote one.
fn extension_in(options: &DynamicMessage, extension: Option<&ExtensionDescriptor>) -> Option<DynamicMessage> {
    let extension = extension?;
    if !options.has_extension(extension) {
        return None;
    }
    options.get_extension(extension).as_message().cloned()
}

/// The typed options of an extension message: its encoding, decoded into the prost types
/// generated from the same options.proto (so no field can be forgotten here).
fn read_typed<T: prost::Message + Default>(message: &DynamicMessage) -> T {
    T::decode(prost::Message::encode_to_vec(message).as_slice()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use prost_reflect::{MapKey, ReflectMessage, Value};

    use super::*;

    /// Every field of the vocabulary is read: a field added to options.proto but not to the
    /// reader would otherwise be silently ignored.
    #[test]
    fn reader_knows_every_vocabulary_field() {
        let fds = protox::Compiler::with_file_resolver({
            let mut chain = ChainFileResolver::new();
            chain.add(VocabularyResolver);
            chain.add(GoogleFileResolver::new());
            chain
        })
        .open_file(OPTIONS_PROTO_NAME)
        .unwrap()
        .descriptor_pool();
        let deployment = fds.get_message_by_name("kuberpc.v1.ServiceDeployment").unwrap();
        let mut filled = DynamicMessage::new(deployment.clone());
        fill(&mut filled);
        let read = read_typed::<ServiceOptions>(&filled);
        let debug = format!("{read:?}");
        assert!(!debug.contains("None"), "a vocabulary field is not read: {debug}");
        assert_eq!(read.env.len(), 1);
        assert_eq!(read.gateway.as_ref().map(|g| g.hostnames.len()), Some(1));

        let behaviour = fds.get_message_by_name("kuberpc.v1.MethodBehaviour").unwrap();
        let mut filled = DynamicMessage::new(behaviour);
        fill(&mut filled);
        let read = format!("{:?}", read_typed::<MethodOptions>(&filled));
        for field in fields::METHOD_BEHAVIOUR {
            assert!(read.contains(&format!("{}: Some(", field.name)), "{} is not read: {read}", field.name);
        }
    }

    /// Sets every field of `message` (recursively) to a non-default value.
    fn fill(message: &mut DynamicMessage) {
        for field in message.descriptor().fields() {
            let value = if let (true, Some(child)) = (field.is_list(), field.kind().as_message()) {
                let mut element = DynamicMessage::new(child.clone());
                fill(&mut element);
                Value::List(vec![Value::Message(element)])
            } else if field.is_list() {
                Value::List(vec![Value::String("x".into())])
            } else if field.is_map() {
                let mut map = std::collections::HashMap::new();
                map.insert(MapKey::String("K".into()), Value::String("v".into()));
                Value::Map(map)
            } else if let Some(child) = field.kind().as_message() {
                let mut child = DynamicMessage::new(child.clone());
                fill(&mut child);
                Value::Message(child)
            } else {
                match field.kind() {
                    prost_reflect::Kind::String => Value::String("x".into()),
                    prost_reflect::Kind::Uint32 => Value::U32(1),
                    prost_reflect::Kind::Uint64 => Value::U64(1),
                    prost_reflect::Kind::Bool => Value::Bool(true),
                    prost_reflect::Kind::Double => Value::F64(0.5),
                    other => panic!("the reader has no case for {other:?}"),
                }
            };
            message.set_field(&field, value);
        }
    }
}
