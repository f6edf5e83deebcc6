//! The `kuberpc` command: generate or check stubs and manifests without a Rust project,
//! scaffold a new crate (`kuberpc new`), or draw the system's call graph (`kuberpc graph`).
//! Inputs are `.proto` files, or Rust files with `#[rpc_service]` traits (then the
//! equivalent `.proto` is written too, under `--proto-out`).
//!
//! Exit codes: 0 success (or, for `check`, up to date); 1 `check` found the disk stale, or
//! `graph --deploy` found NetworkPolicies that disagree with the call graph; 2 the input has
//! problems (printed as located diagnostics) or a file could not be written.

use std::path::PathBuf;
use std::process::ExitCode;

mod graph;
mod new;
mod reflection;

use clap::{Args, Parser, Subcommand};
use kuberpc_codegen::breaking::{Against, Category, Sources};
use kuberpc_codegen::{Action, Config, Error, Generated, OverlayCheck, Problem};

#[derive(Parser)]
#[command(
    name = "kuberpc",
    version,
    about = "gRPC stubs and Kubernetes manifests from one annotated .proto or #[rpc_service] trait"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write stubs and manifests.
    Generate(Inputs),
    /// Exit 1 with a unified diff when what is on disk (manifests, emitted protos, and the
    /// stubs with --rust-out) differs from what would be generated; with --against, exit 1
    /// when the protos break callers of the reference instead.
    Check(CheckArgs),
    /// Scaffold a crate that builds, serves, calls and tests as generated.
    New(NewArgs),
    /// Write the system's call graph (DOT, Mermaid or SVG); with --deploy, exit 1 when the
    /// NetworkPolicies there disagree with it.
    Graph(graph::GraphArgs),
}

#[derive(Args)]
struct NewArgs {
    /// The crate's name, also the Kubernetes app's: lower-case letters, digits and '-'.
    name: String,
    /// The API as a Rust trait with `#[rpc_service]` (`src/api.rs`) instead of a `.proto`.
    #[arg(long = "trait")]
    trait_first: bool,
    /// Where the crate goes (default: `./<name>`); must not exist or be empty.
    #[arg(long)]
    path: Option<PathBuf>,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    inputs: Inputs,
    /// Check the protos against this instead: a git revision of the protos (`HEAD`, `main`,
    /// a tag), a descriptor set file, or a running server (`grpc://host:port`, read through
    /// its gRPC reflection); each breaking change is reported at its place in the protos.
    #[arg(long, value_name = "REF")]
    against: Option<String>,
    /// With --against: the rule categories, as buf names them (FILE, PACKAGE, WIRE_JSON,
    /// WIRE); repeat for several. Default: WIRE_JSON.
    #[arg(long = "category", value_name = "CATEGORY", value_parser = category, requires = "against")]
    categories: Vec<Category>,
}

fn category(name: &str) -> Result<Category, String> {
    Category::from_name(name).ok_or_else(|| format!("unknown category `{name}`: FILE, PACKAGE, WIRE_JSON or WIRE"))
}

#[derive(Args)]
struct Inputs {
    /// The .proto files whose services are deployed, or Rust files (.rs) holding
    /// `#[rpc_service]` traits and their prost messages.
    #[arg(required = true)]
    sources: Vec<PathBuf>,
    /// Include directories for imports (default: the current directory).
    #[arg(short = 'I', long = "include")]
    includes: Vec<PathBuf>,
    /// A .proto of another service of the system (found through -I): not generated, but its
    /// options and `calls` make the call graph — the callees these sources call and the
    /// callers their NetworkPolicies admit. Repeat for each file.
    #[arg(long = "peer", value_name = "PROTO")]
    peers: Vec<PathBuf>,
    /// Manifests directory: receives `<app>/base` and `<app>/overlays`.
    #[arg(long, default_value = "deploy")]
    out: PathBuf,
    /// Directory for the Rust stubs and `kuberpc_descriptor.bin` (none written if omitted).
    #[arg(long)]
    rust_out: Option<PathBuf>,
    /// Directory of `<name>.yaml.hbs` templates replacing the embedded ones.
    #[arg(long)]
    templates: Option<PathBuf>,
    /// For Rust sources: where the equivalent `<package>/<name>.proto` files go.
    #[arg(long, default_value = "proto")]
    proto_out: PathBuf,
    #[command(flatten)]
    stubs: StubArgs,
}

/// What tonic-prost-build's builder takes, passed on to prost-build and tonic-prost-build.
/// Paths are protobuf paths (`.pkg.Message.field`; `.` is every type).
#[derive(Args)]
#[command(next_help_heading = "Stub options (as tonic-prost-build's builder)")]
struct StubArgs {
    /// Use an existing Rust type for a protobuf path: `.acme.money.v1=::money_types`.
    #[arg(long, value_name = "PROTO_PATH=RUST_PATH", value_parser = path_and_value)]
    extern_path: Vec<(String, String)>,
    /// Add an attribute to matching messages and enums: `.=#[derive(Eq)]`.
    #[arg(long, value_name = "PATH=ATTRIBUTE", value_parser = path_and_value)]
    type_attribute: Vec<(String, String)>,
    /// Add an attribute to matching messages.
    #[arg(long, value_name = "PATH=ATTRIBUTE", value_parser = path_and_value)]
    message_attribute: Vec<(String, String)>,
    /// Add an attribute to matching enums.
    #[arg(long, value_name = "PATH=ATTRIBUTE", value_parser = path_and_value)]
    enum_attribute: Vec<(String, String)>,
    /// Add an attribute to matching fields.
    #[arg(long, value_name = "PATH=ATTRIBUTE", value_parser = path_and_value)]
    field_attribute: Vec<(String, String)>,
    /// `bytes` fields at PATH become `bytes::Bytes`.
    #[arg(long, value_name = "PATH")]
    bytes: Vec<String>,
    /// `map` fields at PATH become `BTreeMap`.
    #[arg(long, value_name = "PATH")]
    btree_map: Vec<String>,
    /// Box the message fields at PATH.
    #[arg(long, value_name = "PATH")]
    boxed: Vec<String>,
    /// Generate google.protobuf types instead of using prost-types.
    #[arg(long)]
    compile_well_known_types: bool,
    /// Leave out the `<service>_server` modules.
    #[arg(long)]
    no_server: bool,
    /// Leave out the `<service>_client` modules.
    #[arg(long)]
    no_client: bool,
    /// Add an attribute to the server modules of a package: `shop.v1=#[cfg(feature = "server")]`.
    #[arg(long, value_name = "PATH=ATTRIBUTE", value_parser = path_and_value)]
    server_mod_attribute: Vec<(String, String)>,
    /// Add an attribute to the client modules of a package.
    #[arg(long, value_name = "PATH=ATTRIBUTE", value_parser = path_and_value)]
    client_mod_attribute: Vec<(String, String)>,
    /// Also write the module tree under this name (it is always `kuberpc_protos.rs` too).
    #[arg(long, value_name = "FILE")]
    include_file: Option<String>,
    /// Also write the descriptor set, source info included, here (relative to --rust-out).
    #[arg(long, value_name = "FILE")]
    file_descriptor_set_path: Option<PathBuf>,
}

impl StubArgs {
    fn apply(&self, config: &mut Config) {
        for (path, rust_path) in &self.extern_path {
            config.extern_path(path, rust_path);
        }
        for (path, attribute) in &self.type_attribute {
            config.type_attribute(path, attribute);
        }
        for (path, attribute) in &self.message_attribute {
            config.message_attribute(path, attribute);
        }
        for (path, attribute) in &self.enum_attribute {
            config.enum_attribute(path, attribute);
        }
        for (path, attribute) in &self.field_attribute {
            config.field_attribute(path, attribute);
        }
        for (path, attribute) in &self.server_mod_attribute {
            config.server_mod_attribute(path, attribute);
        }
        for (path, attribute) in &self.client_mod_attribute {
            config.client_mod_attribute(path, attribute);
        }
        for path in &self.bytes {
            config.bytes(path);
        }
        for path in &self.btree_map {
            config.btree_map(path);
        }
        for path in &self.boxed {
            config.boxed(path);
        }
        config
            .compile_well_known_types(self.compile_well_known_types)
            .build_server(!self.no_server)
            .build_client(!self.no_client);
        if let Some(name) = &self.include_file {
            config.include_file(name);
        }
        if let Some(path) = &self.file_descriptor_set_path {
            config.file_descriptor_set_path(path);
        }
    }
}

/// `PATH=VALUE` (split at the first `=`: attributes may hold more).
fn path_and_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((path, value)) if !path.is_empty() => Ok((path.to_string(), value.to_string())),
        _ => Err(format!("expected PATH=VALUE, e.g. `.=#[derive(Eq)]`, found `{text}`")),
    }
}

impl Inputs {
    fn config(&self) -> Config {
        let mut config = Config::new();
        config.manifests_dir(&self.out);
        match &self.rust_out {
            Some(dir) => config.out_dir(dir),
            None => config.stubs(false),
        };
        if let Some(dir) = &self.templates {
            config.templates_dir(dir);
        }
        config.proto_dir(&self.proto_out);
        config.peers(&self.peers, &self.includes());
        self.stubs.apply(&mut config);
        config
    }

    /// Runs the front end the sources call for: all `.rs` → the trait path, else protos.
    fn generate(&self, config: &Config) -> Result<Generated, Error> {
        let is_rust = |path: &PathBuf| path.extension().is_some_and(|e| e == "rs");
        match self.sources.iter().filter(|s| is_rust(s)).count() {
            0 => config.generate(&self.sources, &self.includes()),
            n if n == self.sources.len() && !self.includes.is_empty() => {
                Err(Problem::new("-I/--include applies to .proto inputs; Rust sources (.rs) are read as they are")
                    .into())
            }
            n if n == self.sources.len() => config.generate_rust(&self.sources),
            _ => Err(Problem::new("give either .proto files or Rust files (.rs), not both in one run").into()),
        }
    }

    fn includes(&self) -> Vec<PathBuf> {
        if self.includes.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            self.includes.clone()
        }
    }
}

/// `check --against`: each breaking change of the protos against the reference, located;
/// exit 1 when there is one.
fn breaking(inputs: &Inputs, reference: &str, categories: &[Category]) -> Result<ExitCode, Error> {
    if inputs.sources.iter().any(|s| s.extension().is_some_and(|e| e == "rs")) {
        return Err(Problem::new("check --against reads .proto files (a trait's emitted proto is one)").into());
    }
    let categories = if categories.is_empty() { vec![Category::WireJson] } else { categories.to_vec() };
    let against = match reference.strip_prefix("grpc://") {
        Some(address) => {
            Against::Descriptors { encoded: reflection::descriptor_set(address)?, from: reference.to_string() }
        }
        None => Against::parse(reference),
    };
    let names: Vec<&str> = categories.iter().map(|c| c.name()).collect();
    let includes = inputs.includes();
    let sources = Sources { protos: &inputs.sources, includes: &includes, peers: &inputs.peers };
    let checked = kuberpc_codegen::breaking::check(sources, &against, &categories)?;
    checked.remarks().iter().for_each(|line| println!("{line}"));
    let found = &checked.breaking;
    if found.is_empty() {
        println!("no breaking change against {against} ({})", names.join(", "));
        return Ok(ExitCode::SUCCESS);
    }
    for problem in found {
        eprintln!("{:?}", miette::Report::new(problem.clone()));
    }
    let count = found.len();
    eprintln!(
        "kuberpc: {count} breaking change{} against {against} ({})",
        if count == 1 { "" } else { "s" },
        names.join(", ")
    );
    Ok(ExitCode::from(1))
}

fn main() -> ExitCode {
    // Unicode snippets, 100 columns, no hyperlinks; colour only on a terminal (and not with
    // NO_COLOR). Fixed so that diagnostics read the same in CI logs and snapshots.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().terminal_links(false).unicode(true).width(100).build())
    }));
    let cli = Cli::parse();
    match run(&cli.command) {
        Ok(code) => code,
        Err(error) => {
            for problem in error.problems() {
                eprintln!("{:?}", miette::Report::new(problem.clone()));
            }
            let count = error.problems().len();
            eprintln!("kuberpc: {count} problem{}; nothing was written", if count == 1 { "" } else { "s" });
            ExitCode::from(2)
        }
    }
}

fn run(command: &Command) -> Result<ExitCode, Error> {
    match command {
        Command::New(args) => {
            for path in new::scaffold(&args.name, args.trait_first, args.path.as_deref())? {
                println!("{:>12}  {}", "created", path.display());
            }
            println!("next: cd into it and run `cargo test`; see its README.md");
            Ok(ExitCode::SUCCESS)
        }
        Command::Graph(args) => args.run(),
        Command::Generate(inputs) => {
            let config = inputs.config();
            let generated = inputs.generate(&config)?;
            let report = config.write(&generated)?;
            for (path, action) in &report {
                println!("{:>12}  {}", action.as_str(), path.display());
            }
            for broken in config.build_changed_overlays(&generated, &report).broken() {
                eprintln!("warning: {broken}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(CheckArgs { inputs, against: Some(reference), categories }) => {
            breaking(inputs, reference, categories)
        }
        Command::Check(CheckArgs { inputs, against: None, .. }) => {
            let config = inputs.config();
            let generated = inputs.generate(&config)?;
            let (report, diff) = config.diff(&generated)?;
            let overlays_build = report_overlays(&config.build_overlays(&generated));
            match (diff.is_empty(), overlays_build) {
                (true, true) => {
                    println!("up to date: {}", inputs.out.display());
                    return Ok(ExitCode::SUCCESS);
                }
                (true, false) => {
                    eprintln!(
                        "the generated files under {} are up to date, but the overlays above no longer build: \
                         they are yours, so kuberpc leaves the fix to you",
                        inputs.out.display()
                    );
                    return Ok(ExitCode::from(1));
                }
                (false, _) => {}
            }
            print!("{diff}");
            let stale: Vec<&PathBuf> =
                report.iter().filter(|(_, a)| !matches!(a, Action::Unchanged | Action::Kept)).map(|(p, _)| p).collect();
            // By app: after an interrupted run, the apps whose files are half old, half new.
            let mut apps = std::collections::BTreeMap::<String, usize>::new();
            for path in &stale {
                if let Some(app) = path.strip_prefix(&inputs.out).ok().and_then(|p| p.components().next()) {
                    *apps.entry(app.as_os_str().to_string_lossy().into_owned()).or_default() += 1;
                }
            }
            let apps: Vec<String> = apps.iter().map(|(app, count)| format!("{app} ({count})")).collect();
            eprintln!(
                "{} file(s) under {} are stale{}: run `kuberpc generate` with the same arguments",
                stale.len(),
                inputs.out.display(),
                if apps.is_empty() { String::new() } else { format!(", in app(s) {}", apps.join(", ")) }
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// Says which overlays no longer build (or that none were built, and why); true when every
/// overlay that was built builds.
fn report_overlays(check: &OverlayCheck) -> bool {
    match check {
        OverlayCheck::Skipped(why) => eprintln!("note: {why}"),
        OverlayCheck::Built { count, broken } if broken.is_empty() => println!("{count} overlay(s) build"),
        OverlayCheck::Built { .. } => {
            for broken in check.broken() {
                eprintln!("{broken}");
            }
        }
    }
    check.broken().is_empty()
}
