//! The call graph of the system: every `calls { … }` of the services a run generates resolved
//! against every service it knows (its own and its peers'), and each service told who calls
//! it. Mistakes are located at the entry that has them: an unknown callee or method (with the
//! closest name), a callee named twice, a service calling itself through the network, a
//! cycle of calls back to a service that forbids them, and an edge with mutual TLS at one end
//! only (or two trust domains).
//!
//! The result lives in the model ([`Call::callee`], [`Deploy::callers`]), so the back ends —
//! the deploy module's targets, the NetworkPolicy, the pods' addresses, `kuberpc graph` — read
//! one resolved graph.
//!
//! [`Deploy::callers`]: crate::model::Deploy::callers

use std::collections::BTreeMap;

use crate::error::{Problem, Problems};
use crate::model::{Call, Package, Peer, Service};
use crate::schema::path;
use crate::suggest;

/// Resolves the calls of every service of `packages` against `packages` and `peers` (services
/// known but not generated here), fills in the callees and callers, and records every mistake.
pub(crate) fn resolve(packages: &mut [Package], peers: &[Package], problems: &mut Problems) {
    // A peer this run also generates is this run's (a peer's copy may be a stale emitted proto).
    let generated: Vec<&str> = packages.iter().flat_map(|p| &p.services).map(|s| s.full_name.as_str()).collect();
    let peers = peers.iter().flat_map(|p| &p.services).filter(|s| !generated.contains(&s.full_name.as_str()));
    let known: Vec<&Service> = packages.iter().flat_map(|p| &p.services).chain(peers).collect();
    let index = Index::new(&known);
    let edges = index.edges(&known);
    mtls_on_both_ends(&known, &generated, &index, problems);
    let mut resolved: Vec<(String, Vec<Option<Peer>>, Vec<Peer>)> = Vec::new();
    for service in packages.iter().flat_map(|p| &p.services) {
        let callees = service
            .deploy
            .calls
            .iter()
            .enumerate()
            .map(|(i, call)| index.callee(service, i, call, problems))
            .collect::<Vec<_>>();
        duplicate_callees(service, &callees, problems);
        if service.deploy.forbid_call_cycles {
            forbidden_cycle(service, &edges, problems);
        }
        let callers = index.callers(service, &known);
        resolved.push((service.full_name.clone(), callees, callers));
    }
    for (service, (_, callees, callers)) in packages.iter_mut().flat_map(|p| &mut p.services).zip(resolved) {
        for (call, callee) in service.deploy.calls.iter_mut().zip(callees) {
            call.callee = callee;
        }
        service.deploy.callers = callers;
    }
}

/// Full name → the full name each of its `calls` names, in the order written (`None`: unknown).
type Edges = BTreeMap<String, Vec<Option<String>>>;

/// Every known service by full name and by app name.
struct Index<'a> {
    by_name: BTreeMap<&'a str, &'a Service>,
}

impl<'a> Index<'a> {
    /// Full names first: a full name always means its service, whatever app names say.
    fn new(known: &[&'a Service]) -> Self {
        let mut by_name = BTreeMap::new();
        for service in known {
            by_name.entry(service.full_name.as_str()).or_insert(*service);
        }
        for service in known {
            by_name.entry(service.deploy.app.as_str()).or_insert(*service);
        }
        Self { by_name }
    }

    /// The service `call` names, quietly (for the calls of peers and for the graph's edges).
    fn find(&self, call: &Call) -> Option<&'a Service> {
        self.by_name.get(call.service.as_str()).copied()
    }

    /// Call `index` of `caller` resolved, or its problem recorded.
    fn callee(&self, caller: &Service, index: usize, call: &Call, problems: &mut Problems) -> Option<Peer> {
        let at = |field| caller.spans.get_element(path::CALLS, index, field);
        if call.service.is_empty() {
            return None; // `calls.service is required`, reported with the options.
        }
        let Some(callee) = self.find(call) else {
            let known: Vec<&str> = self.by_name.keys().copied().collect();
            let hint = match suggest::closest(&call.service, &known) {
                Some(name) => format!("did you mean `{name}`?"),
                None => "name a service of this run or of its peers (`Config::peers`, `kuberpc generate --peer`) \
                         by its proto full name or app name"
                    .to_string(),
            };
            let message = format!("{} calls {:?}, which is no service this run knows", caller.full_name, call.service);
            problems.push(Problem::at(message, at(path::CALLS_SERVICE)).with_help(hint));
            return None;
        };
        if !is_app_name(&callee.deploy.app) {
            // A peer's own options are its build's to report; its name must still make a target.
            let message = format!(
                "{} has no usable app name ({:?}): fix the options of the peer that declares it",
                callee.full_name, callee.deploy.app
            );
            problems.push(Problem::at(message, at(path::CALLS_SERVICE)));
            return None;
        }
        if callee.full_name == caller.full_name {
            let message = format!(
                "{} calls itself through the network: call the handler directly instead of a pod of the same app",
                caller.full_name
            );
            problems.push(Problem::at(message, at(path::CALLS_SERVICE)));
            return None;
        }
        let names: Vec<&str> = callee.methods.iter().map(|m| m.name.as_str()).collect();
        for method in call.methods.iter().filter(|m| !names.contains(&m.as_str())) {
            let hint = match suggest::closest(method, &names) {
                Some(name) => format!("did you mean `{name}`?"),
                None => format!("its methods: {}", names.join(", ")),
            };
            let message = format!("{} has no method {method:?}", callee.full_name);
            problems.push(Problem::at(message, at(path::CALLS_METHODS)).with_help(hint));
        }
        Some(peer(callee, callee.deploy.port, called_methods(call, callee)))
    }

    /// Every known service whose calls name `callee`, as the callee's ingress needs it.
    fn callers(&self, callee: &Service, known: &[&Service]) -> Vec<Peer> {
        let mut callers: Vec<Peer> = Vec::new();
        for caller in known.iter().filter(|s| s.full_name != callee.full_name) {
            for call in &caller.deploy.calls {
                let names_callee = self.find(call).is_some_and(|s| s.full_name == callee.full_name);
                if names_callee && !callers.iter().any(|c| c.service == caller.full_name) {
                    callers.push(peer(caller, callee.deploy.port, called_methods(call, callee)));
                }
            }
        }
        callers.sort_by(|a, b| a.app.cmp(&b.app));
        callers
    }

    /// The edges of the whole known system.
    fn edges(&self, known: &[&Service]) -> Edges {
        known
            .iter()
            .map(|s| {
                let callees = s.deploy.calls.iter().map(|c| self.find(c).map(|c| c.full_name.clone())).collect();
                (s.full_name.clone(), callees)
            })
            .collect()
    }
}

/// The methods `call` calls of `callee`: those written, or every one of the callee's.
fn called_methods(call: &Call, callee: &Service) -> Vec<String> {
    if call.methods.is_empty() {
        callee.methods.iter().map(|m| m.name.clone()).collect()
    } else {
        call.methods.clone()
    }
}

/// A DNS-1123 label starting with a letter: an app name a Rust constant can be named after.
fn is_app_name(app: &str) -> bool {
    app.len() <= crate::model_rules::MAX_NAME_LEN
        && app.starts_with(|c: char| c.is_ascii_lowercase())
        && crate::model_rules::has_dns_label_characters(app)
}

/// `service` as the other end of an edge over `port`, calling or called for `methods`.
fn peer(service: &Service, port: u16, methods: Vec<String>) -> Peer {
    Peer {
        app: service.deploy.app.clone(),
        service: service.full_name.clone(),
        port,
        namespaces: service.deploy.environments.iter().map(|e| (e.name.clone(), e.namespace.clone())).collect(),
        methods,
    }
}

/// Mutual TLS is a property of an edge: a caller with it refuses a callee that serves plaintext,
/// a callee with it refuses a caller without a certificate, and a callee reads its callers'
/// identities in its own trust domain. Every edge with an end this run generates is checked
/// (a peer's own edges are its build's), at the caller's `calls` entry, which may be a peer's.
fn mtls_on_both_ends(known: &[&Service], generated: &[&str], index: &Index<'_>, problems: &mut Problems) {
    for caller in known {
        for (i, call) in caller.deploy.calls.iter().enumerate() {
            let Some(callee) = index.find(call).filter(|callee| callee.full_name != caller.full_name) else { continue };
            if !generated.contains(&caller.full_name.as_str()) && !generated.contains(&callee.full_name.as_str()) {
                continue;
            }
            let (from, to) = (&caller.full_name, &callee.full_name);
            let (message, help) = match (&caller.deploy.mtls, &callee.deploy.mtls) {
                (Some(_), None) => (
                    format!("{from} has mutual TLS (mtls) and calls {to}, which has not: {to} serves plaintext, which {from}'s client refuses"),
                    format!("give {to} `mtls {{ }}` too, or neither of them: both ends of an edge speak mutual TLS or none"),
                ),
                (None, Some(_)) => (
                    format!("{from} calls {to}, which has mutual TLS (mtls), but {from} has not: {to} refuses a caller without a certificate"),
                    format!("give {from} `mtls {{ }}` too, or neither of them: both ends of an edge speak mutual TLS or none"),
                ),
                (Some(ours), Some(theirs)) if ours.trust_domain != theirs.trust_domain => (
                    format!(
                        "{from} (trust domain {:?}) calls {to} (trust domain {:?}): {to} reads its callers' identities in its own trust domain",
                        ours.trust_domain, theirs.trust_domain
                    ),
                    "give both the same mtls.trust_domain".to_string(),
                ),
                _ => continue,
            };
            let at = caller.spans.get_element(path::CALLS, i, path::CALLS_SERVICE);
            problems.push(Problem::at(message, at).with_help(help));
        }
    }
}

/// Two entries naming one callee (by full name and by app name, say) would be two edges.
fn duplicate_callees(caller: &Service, callees: &[Option<Peer>], problems: &mut Problems) {
    for (index, callee) in callees.iter().enumerate() {
        let Some(callee) = callee else { continue };
        if callees[..index].iter().flatten().any(|earlier| earlier.service == callee.service) {
            let message = format!("{} names {} twice in calls: merge the entries", caller.full_name, callee.service);
            problems.push(Problem::at(message, caller.spans.get_element(path::CALLS, index, path::CALLS_SERVICE)));
        }
    }
}

/// A chain of calls from `service` back to itself, where its source forbids one: reported at
/// the entry the chain starts with, the whole chain named.
fn forbidden_cycle(service: &Service, edges: &Edges, problems: &mut Problems) {
    let start = service.full_name.as_str();
    let firsts = edges.get(start).into_iter().flatten().enumerate();
    // A call to itself is reported as such, not as a cycle.
    for (index, first) in firsts.filter_map(|(i, callee)| Some((i, callee.as_deref().filter(|c| *c != start)?))) {
        if let Some(chain) = path_back(first, start, edges) {
            let message = format!(
                "{start} forbids call cycles (forbid_call_cycles), but {start} → {} comes back to it",
                chain.join(" → ")
            );
            problems.push(Problem::at(message, service.spans.get_element(path::CALLS, index, path::CALLS_SERVICE)));
            return;
        }
    }
}

/// The shortest chain of calls from `from` to `to`, both included, if any (breadth first).
fn path_back(from: &str, to: &str, edges: &Edges) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut frontier = vec![from];
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for node in frontier {
            if node == to {
                let mut chain = vec![to.to_string()];
                let mut at = to;
                while let Some(previous) = came_from.get(at) {
                    chain.push(previous.to_string());
                    at = previous;
                }
                chain.reverse();
                return Some(chain);
            }
            for callee in edges.get(node).into_iter().flatten().flatten() {
                if callee != from && !came_from.contains_key(callee.as_str()) {
                    came_from.insert(callee, node);
                    next.push(callee.as_str());
                }
            }
        }
        frontier = next;
    }
    None
}
