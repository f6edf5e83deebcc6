//! `kuberpc graph`: the system's call graph, read from the sources as `generate` reads them
//! (stubs and manifests off, nothing written but `--out`), written as DOT, Mermaid or SVG
//! (`dot -Tsvg`), and with `--deploy` checked against the NetworkPolicies on disk.
//!
//! The sources and the `--peer` files are one system here: every service is a node, whether
//! its file was given as a source or as a peer (the flag is accepted so that `generate`'s
//! command line works unchanged). A `#[rpc_service]` trait comes in through its emitted
//! `.proto`. The graph itself is [`System`]: [`render`] writes it, [`policies`] compares the
//! policies on disk with it.

mod policies;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use kuberpc_codegen::model::{Package, Service};
use kuberpc_codegen::{Config, Error, Problem};

/// `kuberpc graph`'s arguments.
#[derive(Args)]
pub(crate) struct GraphArgs {
    /// The .proto files of the system's services (a `#[rpc_service]` trait: its emitted .proto,
    /// as `kuberpc generate` writes it under --proto-out).
    #[arg(required = true)]
    sources: Vec<PathBuf>,
    /// Include directories for imports (default: the current directory).
    #[arg(short = 'I', long = "include")]
    includes: Vec<PathBuf>,
    /// More .proto files of the system (found through -I), as `generate --peer` takes them:
    /// here they are nodes of the graph like the sources.
    #[arg(long = "peer", value_name = "PROTO")]
    peers: Vec<PathBuf>,
    /// A manifests directory holding `<app>/base` and `<app>/components/<env>` (as `generate
    /// --out` writes it): every edge must be admitted by the NetworkPolicies there at both
    /// ends, in the base and in every environment, and no other caller or callee; exit 1 on
    /// any disagreement. Repeat for each directory.
    #[arg(long = "deploy", value_name = "DIR")]
    deploy: Vec<PathBuf>,
    /// What to write: Graphviz DOT, a Mermaid flowchart, or SVG (DOT rendered by Graphviz's
    /// `dot`, which must be on PATH).
    #[arg(long, value_enum, default_value_t = Format::Dot)]
    format: Format,
    /// Write the graph here instead of to standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// The picture's format.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Dot,
    Mermaid,
    Svg,
}

/// One service of the system.
pub(crate) struct Node {
    /// Its app name (its pods' `app.kubernetes.io/name`).
    pub(crate) app: String,
    /// Its fully qualified gRPC service name.
    pub(crate) service: String,
    /// Its gRPC port.
    pub(crate) port: u16,
    /// `(environment, namespace)`, in the order the source lists them.
    pub(crate) environments: Vec<(String, String)>,
    /// The namespaces its outside paths reach it from (the ingress controller's, the
    /// Gateway's), sorted.
    pub(crate) outside_namespaces: Vec<String>,
    /// Its trust domain, when it speaks mutual TLS.
    pub(crate) mtls: Option<String>,
}

impl Node {
    /// Its namespace in `environment`, if it has that environment.
    pub(crate) fn namespace(&self, environment: &str) -> Option<&str> {
        self.environments.iter().find(|(name, _)| name == environment).map(|(_, namespace)| namespace.as_str())
    }
}

/// One caller → callee edge, with the methods called over it.
pub(crate) struct Edge {
    pub(crate) caller: String,
    pub(crate) callee: String,
    pub(crate) methods: Vec<String>,
    /// Both ends speak mutual TLS: the calls are encrypted and each end authenticated.
    pub(crate) encrypted: bool,
}

/// A way in from outside the cluster: an app's Ingress, or a Gateway its GRPCRoute names.
pub(crate) struct OutsidePath {
    /// The node's identifier (`ingress_<app>`, `gateway_<n>`).
    pub(crate) id: String,
    /// The node's text, one line each: what it is, then its hosts.
    pub(crate) lines: Vec<String>,
    /// The apps it reaches, each with the edge's label (the route's host names), sorted.
    pub(crate) reaches: Vec<(String, Option<String>)>,
}

/// The system's call graph: nodes sorted by app, edges by caller then callee.
pub(crate) struct System {
    pub(crate) services: Vec<Node>,
    pub(crate) calls: Vec<Edge>,
    pub(crate) paths: Vec<OutsidePath>,
}

impl System {
    /// The graph of every service of `packages` (whose calls the run resolved).
    fn new(packages: &[Package]) -> Self {
        let mut all: Vec<&Service> = packages.iter().flat_map(|p| &p.services).collect();
        all.sort_by(|a, b| a.deploy.app.cmp(&b.deploy.app));
        let mut calls: Vec<Edge> = all.iter().flat_map(|s| edges(s, &all)).collect();
        calls.sort_by(|a, b| (&a.caller, &a.callee).cmp(&(&b.caller, &b.callee)));
        System { services: all.iter().map(|s| node(s)).collect(), calls, paths: outside_paths(&all) }
    }

    /// The node of `app`.
    pub(crate) fn node(&self, app: &str) -> Option<&Node> {
        self.services.iter().find(|node| node.app == app)
    }
}

fn node(service: &Service) -> Node {
    let deploy = &service.deploy;
    let ingress = deploy.ingress.as_ref().map(|i| i.controller_namespace.clone());
    let gateway = deploy.gateway.as_ref().and_then(|g| g.controller_namespace.clone());
    let mut outside_namespaces: Vec<String> = ingress.into_iter().chain(gateway).collect();
    outside_namespaces.sort();
    outside_namespaces.dedup();
    Node {
        app: deploy.app.clone(),
        service: service.full_name.clone(),
        port: deploy.port,
        environments: deploy.environments.iter().map(|e| (e.name.clone(), e.namespace.clone())).collect(),
        outside_namespaces,
        mtls: deploy.mtls.as_ref().map(|mtls| mtls.trust_domain.clone()),
    }
}

/// The edges of `service`'s calls; encrypted where the callee (one of `all`) speaks mutual TLS
/// too (the run refuses an edge with it at one end only).
fn edges(service: &Service, all: &[&Service]) -> Vec<Edge> {
    let callees = service.deploy.calls.iter().filter_map(|call| call.callee.as_ref());
    let has_mtls = |app: &str| all.iter().any(|s| s.deploy.app == app && s.deploy.mtls.is_some());
    callees
        .map(|callee| Edge {
            caller: service.deploy.app.clone(),
            callee: callee.app.clone(),
            methods: callee.methods.clone(),
            encrypted: service.deploy.mtls.is_some() && has_mtls(&callee.app),
        })
        .collect()
}

/// Each app's Ingress (its host, and each environment's where it differs), then each Gateway
/// (one node for every route naming the same `namespace/name`; per app when the parent is in
/// the route's own namespace, which differs by app).
fn outside_paths(services: &[&Service]) -> Vec<OutsidePath> {
    let mut paths = Vec::new();
    for service in services {
        let deploy = &service.deploy;
        let Some(ingress) = &deploy.ingress else { continue };
        let mut lines = vec![format!("Ingress ({})", ingress.controller_namespace), ingress.host.clone()];
        for environment in &deploy.environments {
            if let Some(host) = &environment.ingress_host {
                lines.push(format!("{}: {host}", environment.name));
            }
        }
        let id = format!("ingress_{}", deploy.app.replace('-', "_"));
        paths.push(OutsidePath { id, lines, reaches: vec![(deploy.app.clone(), None)] });
    }
    let mut gateways: std::collections::BTreeMap<String, Vec<(String, Option<String>)>> = Default::default();
    for service in services {
        let Some(gateway) = &service.deploy.gateway else { continue };
        let parent = match &gateway.parent_namespace {
            Some(namespace) => format!("Gateway {namespace}/{}", gateway.parent_name),
            None => format!("Gateway {} (in {}'s namespace)", gateway.parent_name, service.deploy.app),
        };
        let hosts = (!gateway.hostnames.is_empty()).then(|| gateway.hostnames.join(", "));
        gateways.entry(parent).or_default().push((service.deploy.app.clone(), hosts));
    }
    for (index, (parent, reaches)) in gateways.into_iter().enumerate() {
        paths.push(OutsidePath { id: format!("gateway_{}", index + 1), lines: vec![parent], reaches });
    }
    paths
}

impl GraphArgs {
    /// Reads the system, writes its picture, then checks the policies of `--deploy`.
    pub(crate) fn run(&self) -> Result<ExitCode, Error> {
        let system = System::new(&self.read()?.packages);
        let picture = match self.format {
            Format::Dot => render::dot(&system),
            Format::Mermaid => render::mermaid(&system),
            Format::Svg => render::svg(&render::dot(&system))?,
        };
        let disagreements = if self.deploy.is_empty() { Vec::new() } else { policies::check(&system, &self.deploy)? };
        match &self.out {
            Some(path) => std::fs::write(path, picture)
                .map_err(|e| Problem::new(format!("cannot write {}: {e}", path.display())))?,
            None => print!("{picture}"),
        }
        for disagreement in &disagreements {
            eprintln!("{disagreement}");
        }
        if disagreements.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("kuberpc: {} disagreement(s) between the call graph and the NetworkPolicies", disagreements.len());
        Ok(ExitCode::from(1))
    }

    /// Compiles the sources and peers as one run: graph resolved, rules enforced, nothing else.
    fn read(&self) -> Result<kuberpc_codegen::Generated, Error> {
        if let Some(rust) = self.sources.iter().chain(&self.peers).find(|s| s.extension().is_some_and(|e| e == "rs")) {
            let message = format!("{}: kuberpc graph reads .proto files", rust.display());
            let help = "give a #[rpc_service] trait's emitted .proto instead (`kuberpc generate` writes it under \
                        --proto-out; a build script under `proto/`)";
            return Err(Problem::new(message).with_help(help).into());
        }
        let mut protos = self.sources.clone();
        protos.extend(self.peers.iter().filter(|p| !self.sources.contains(p)).cloned());
        let includes = if self.includes.is_empty() { vec![PathBuf::from(".")] } else { self.includes.clone() };
        let mut config = Config::new();
        config.stubs(false).manifests(false);
        config.generate(&protos, &includes)
    }
}
