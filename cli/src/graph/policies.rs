//! Whether the NetworkPolicies on disk agree with the call graph (`kuberpc graph --deploy`).
//!
//! Each app's policy is read from `<dir>/<app>/base/networkpolicy.yaml` into k8s-openapi's
//! `NetworkPolicy`, and each environment's from the base with the patch
//! `<dir>/<app>/components/<env>/networkpolicy.yaml` laid over it (the patch's `ingress`,
//! `egress`, `policyTypes` and `podSelector` replace the base's, as kustomize's strategic merge
//! does for these lists, which have no merge key). Then, in the base (every peer in the app's
//! own namespace) and in every environment (each peer in its namespace there, or beside the
//! app where the peer lacks the environment):
//! - every edge caller → callee is admitted at both ends: the caller's egress to the callee's
//!   pods on the callee's port, the callee's ingress from the caller's pods on its gRPC port
//!   (`grpc` or the number);
//! - nothing else is: an ingress peer on the gRPC port is a declared caller in its namespace
//!   there or the namespace of an outside path (ingress controller, Gateway), and an egress
//!   peer naming an app is a declared callee in its namespace there;
//! - the policy selects the app's pods.
//!
//! A pod is known by its selector labels (`app.kubernetes.io/name` and `instance`, both the
//! app), a namespace by `kubernetes.io/metadata.name`; an `ipBlock` matches no pod (pod
//! addresses are not known here). A missing app directory or policy is a disagreement too;
//! a directory that does not exist or a policy that does not parse is bad input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kuberpc_codegen::{Error, Problem};

use super::{Node, System};

const APP_LABEL: &str = "app.kubernetes.io/name";
const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
const NAMESPACE_LABEL: &str = "kubernetes.io/metadata.name";
/// The name of every kuberpc pod's gRPC container port.
const PORT_NAME: &str = "grpc";

type Labels = BTreeMap<String, String>;

/// Every disagreement between the graph and the policies under `dirs`, one line each, sorted.
pub(crate) fn check(system: &System, dirs: &[PathBuf]) -> Result<Vec<String>, Error> {
    if let Some(dir) = dirs.iter().find(|dir| !dir.is_dir()) {
        return Err(Problem::new(format!("--deploy {}: no such directory", dir.display())).into());
    }
    let mut found = Vec::new();
    let mut policies = BTreeMap::new();
    for node in &system.services {
        policies.insert(node.app.as_str(), Policies::load(node, dirs, &mut found)?);
    }
    for edge in &system.calls {
        let (Some(caller), Some(callee)) = (system.node(&edge.caller), system.node(&edge.callee)) else { continue };
        let ends = Ends { caller, callee };
        ends.check(Side::Egress, &policies[caller.app.as_str()], &mut found);
        ends.check(Side::Ingress, &policies[callee.app.as_str()], &mut found);
    }
    for node in &system.services {
        for (place, spec) in policies[node.app.as_str()].places() {
            let policy = Policy { node, place, spec, system };
            policy.check_selection(&mut found);
            policy.check_extra(Side::Ingress, &mut found);
            policy.check_extra(Side::Egress, &mut found);
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// An app's policy in the base and in each of its environments (`None`: not on disk).
#[derive(Default)]
struct Policies {
    base: Option<NetworkPolicySpec>,
    environments: Vec<(String, Option<NetworkPolicySpec>)>,
}

impl Policies {
    /// `node`'s policies from the first of `dirs` holding `<app>/`; what is missing is noted
    /// in `found`.
    fn load(node: &Node, dirs: &[PathBuf], found: &mut Vec<String>) -> Result<Self, Error> {
        let app = &node.app;
        let Some(root) = dirs.iter().map(|dir| dir.join(app)).find(|root| root.is_dir()) else {
            let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            found.push(format!("{app}: no directory {app}/ in any --deploy directory ({})", dirs.join(", ")));
            return Ok(Self::default());
        };
        let base = read(&root.join("base/networkpolicy.yaml"), app, found)?;
        let mut environments = Vec::new();
        for (environment, _) in &node.environments {
            let path = root.join("components").join(environment).join("networkpolicy.yaml");
            let patch = read(&path, app, found)?;
            environments.push((environment.clone(), base.clone().zip(patch).map(|(b, p)| patched(b, p))));
        }
        Ok(Self { base, environments })
    }

    /// The policy at `place` (`None`: the base), if on disk.
    fn at(&self, place: Option<&str>) -> Option<&NetworkPolicySpec> {
        match place {
            None => self.base.as_ref(),
            Some(place) => self.environments.iter().find(|(name, _)| name == place).and_then(|(_, s)| s.as_ref()),
        }
    }

    /// Every place with a policy on disk.
    fn places(&self) -> impl Iterator<Item = (Option<&str>, &NetworkPolicySpec)> {
        let base = self.base.as_ref().map(|spec| (None, spec));
        let environments =
            self.environments.iter().filter_map(|(name, spec)| Some((Some(name.as_str()), spec.as_ref()?)));
        base.into_iter().chain(environments)
    }
}

/// The policy's spec at `path`; `None` (noted in `found`) when there is no such file.
fn read(path: &Path, app: &str, found: &mut Vec<String>) -> Result<Option<NetworkPolicySpec>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            found.push(format!("{app}: no NetworkPolicy at {}", path.display()));
            return Ok(None);
        }
        Err(e) => return Err(Problem::new(format!("cannot read {}: {e}", path.display())).into()),
    };
    let policy: NetworkPolicy = serde_yaml::from_str(&text).map_err(|e| {
        let at = e.location().map(|l| format!(":{}:{}", l.line(), l.column())).unwrap_or_default();
        Problem::new(format!("{}{at}: not a NetworkPolicy: {e}", path.display()))
    })?;
    Ok(Some(policy.spec.unwrap_or_default()))
}

/// `base` with the environment's `patch` laid over it.
fn patched(base: NetworkPolicySpec, patch: NetworkPolicySpec) -> NetworkPolicySpec {
    NetworkPolicySpec {
        ingress: patch.ingress.or(base.ingress),
        egress: patch.egress.or(base.egress),
        policy_types: patch.policy_types.or(base.policy_types),
        pod_selector: patch.pod_selector.or(base.pod_selector),
    }
}

/// A direction of a policy.
#[derive(Clone, Copy)]
enum Side {
    Ingress,
    Egress,
}

/// One rule of either direction: its peers (`None` or empty: everyone) and ports (all).
struct Rule<'a> {
    peers: Option<&'a [NetworkPolicyPeer]>,
    ports: Option<&'a [NetworkPolicyPort]>,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Ingress => "ingress",
            Side::Egress => "egress",
        }
    }

    fn rules(self, spec: &NetworkPolicySpec) -> Vec<Rule<'_>> {
        match self {
            Side::Ingress => spec
                .ingress
                .iter()
                .flatten()
                .map(|r| Rule { peers: r.from.as_deref(), ports: r.ports.as_deref() })
                .collect(),
            Side::Egress => spec
                .egress
                .iter()
                .flatten()
                .map(|r| Rule { peers: r.to.as_deref(), ports: r.ports.as_deref() })
                .collect(),
        }
    }

    /// Whether the policy restricts this direction (without `policyTypes`: ingress always,
    /// egress when it has egress rules).
    fn restricted(self, spec: &NetworkPolicySpec) -> bool {
        match (&spec.policy_types, self) {
            (Some(types), Side::Ingress) => types.iter().any(|t| t == "Ingress"),
            (Some(types), Side::Egress) => types.iter().any(|t| t == "Egress"),
            (None, Side::Ingress) => true,
            (None, Side::Egress) => spec.egress.is_some(),
        }
    }
}

/// An app's pods in a namespace (`None`: in the base, the policy's own).
#[derive(Clone, Copy)]
struct Pods<'a> {
    app: &'a str,
    namespace: Option<&'a str>,
}

impl Pods<'_> {
    fn labels(&self) -> Labels {
        Labels::from([(APP_LABEL.into(), self.app.into()), (INSTANCE_LABEL.into(), self.app.into())])
    }

    fn describe(&self) -> String {
        match self.namespace {
            Some(namespace) => format!("{}'s pods in namespace {namespace}", self.app),
            None => format!("{}'s pods (in its own namespace)", self.app),
        }
    }
}

/// Whether `peer` of a policy in namespace `own` (`None`: the base's) matches `pods`.
fn peer_matches(peer: &NetworkPolicyPeer, pods: Pods<'_>, own: Option<&str>) -> bool {
    if peer.ip_block.is_some() {
        return false;
    }
    let namespace = match &peer.namespace_selector {
        None => pods.namespace == own,
        Some(selector) => {
            let labels = pods.namespace.map(|n| Labels::from([(NAMESPACE_LABEL.into(), n.into())]));
            selects(selector, labels.as_ref())
        }
    };
    let pod = match &peer.pod_selector {
        None => peer.namespace_selector.is_some(),
        Some(selector) => selects(selector, Some(&pods.labels())),
    };
    namespace && pod
}

/// Whether `selector` selects an object with `labels` (`None`: labels not known, so only the
/// empty selector, which selects everything, does).
fn selects(selector: &LabelSelector, labels: Option<&Labels>) -> bool {
    let expressions = selector.match_expressions.as_deref().unwrap_or_default();
    let match_labels = selector.match_labels.iter().flatten();
    let Some(labels) = labels else { return expressions.is_empty() && match_labels.count() == 0 };
    let equal = selector.match_labels.iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
    equal
        && expressions.iter().all(|e| {
            let value = labels.get(&e.key);
            let listed = |v: &String| e.values.iter().flatten().any(|listed| listed == v);
            match e.operator.as_str() {
                "In" => value.is_some_and(listed),
                "NotIn" => !value.is_some_and(listed),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
}

/// Whether `ports` (none: all) admit TCP to the gRPC port `port` (by number, or by name).
fn port_matches(ports: Option<&[NetworkPolicyPort]>, port: u16) -> bool {
    let ports = ports.unwrap_or_default();
    ports.is_empty()
        || ports.iter().any(|p| {
            let tcp = p.protocol.as_deref().is_none_or(|protocol| protocol == "TCP");
            let number = i32::from(port);
            tcp && match &p.port {
                None => true,
                Some(IntOrString::Int(n)) => *n == number || p.end_port.is_some_and(|end| (*n..=end).contains(&number)),
                Some(IntOrString::String(name)) => name == PORT_NAME,
            }
        })
}

/// Whether `spec`, in namespace `own`, admits `pods` on `port` in direction `side`.
fn admits(spec: &NetworkPolicySpec, side: Side, pods: Pods<'_>, own: Option<&str>, port: u16) -> bool {
    !side.restricted(spec)
        || side.rules(spec).iter().any(|rule| {
            let peers = rule.peers.unwrap_or_default();
            port_matches(rule.ports, port) && (peers.is_empty() || peers.iter().any(|p| peer_matches(p, pods, own)))
        })
}

/// `base` or `environment <name>`.
fn place_name(place: Option<&str>) -> String {
    place.map_or_else(|| "base".to_string(), |name| format!("environment {name}"))
}

/// Where `peer`'s pods are at `place`, as seen by `own` (`None` in the base): in the peer's
/// namespace there, or beside `own` where the peer lacks the environment.
fn namespace_of<'a>(peer: &'a Node, own: &'a Node, place: Option<&str>) -> Option<&'a str> {
    let place = place?;
    peer.namespace(place).or_else(|| own.namespace(place))
}

/// The two ends of an edge.
struct Ends<'a> {
    caller: &'a Node,
    callee: &'a Node,
}

impl Ends<'_> {
    /// The policy of the end on `side` (the caller's egress, the callee's ingress) admits
    /// the other end, in the base and in each of its environments.
    fn check(&self, side: Side, policies: &Policies, found: &mut Vec<String>) {
        let (own, other) = match side {
            Side::Egress => (self.caller, self.callee),
            Side::Ingress => (self.callee, self.caller),
        };
        let places = std::iter::once(None).chain(own.environments.iter().map(|(name, _)| Some(name.as_str())));
        for place in places {
            let Some(spec) = policies.at(place) else { continue };
            let pods = Pods { app: &other.app, namespace: namespace_of(other, own, place) };
            let own_namespace = place.and_then(|p| own.namespace(p));
            if !admits(spec, side, pods, own_namespace, self.callee.port) {
                let port = match side {
                    Side::Egress => self.callee.port.to_string(),
                    Side::Ingress => format!("{PORT_NAME} ({})", self.callee.port),
                };
                found.push(format!(
                    "{} → {}, {}: {}'s {} does not admit {} on port {port}",
                    self.caller.app,
                    self.callee.app,
                    place_name(place),
                    own.app,
                    side.name(),
                    pods.describe()
                ));
            }
        }
    }
}

/// One app's policy at one place.
struct Policy<'a> {
    node: &'a Node,
    place: Option<&'a str>,
    spec: &'a NetworkPolicySpec,
    system: &'a System,
}

impl Policy<'_> {
    fn own_namespace(&self) -> Option<&str> {
        self.place.and_then(|p| self.node.namespace(p))
    }

    /// The policy must select the app's own pods, or its rules are about other pods.
    fn check_selection(&self, found: &mut Vec<String>) {
        let pods = Pods { app: &self.node.app, namespace: None };
        if self.spec.pod_selector.as_ref().is_some_and(|s| !selects(s, Some(&pods.labels()))) {
            let (app, place) = (&self.node.app, place_name(self.place));
            found.push(format!("{app}, {place}: its NetworkPolicy's podSelector does not select {app}'s pods"));
        }
    }

    /// Every peer `side` admits that the graph does not have there.
    fn check_extra(&self, side: Side, found: &mut Vec<String>) {
        if !side.restricted(self.spec) {
            return;
        }
        for rule in side.rules(self.spec) {
            if matches!(side, Side::Ingress) && !port_matches(rule.ports, self.node.port) {
                continue;
            }
            match rule.peers.filter(|peers| !peers.is_empty()) {
                Some(peers) => peers.iter().for_each(|peer| self.check_peer(side, peer, found)),
                None if matches!(side, Side::Ingress) => found.push(format!(
                    "{}, {}: its ingress admits every source on port {PORT_NAME}, which the graph does not have",
                    self.node.app,
                    place_name(self.place)
                )),
                None => {}
            }
        }
    }

    /// One peer of `side`: an app the graph connects to this one there, an outside path's
    /// namespace (ingress), or something the graph does not have.
    fn check_peer(&self, side: Side, peer: &NetworkPolicyPeer, found: &mut Vec<String>) {
        let named = peer.pod_selector.as_ref().and_then(|s| s.match_labels.as_ref()?.get(APP_LABEL));
        let (app, place) = (&self.node.app, place_name(self.place));
        match (named, side) {
            _ if peer.ip_block.is_some() => {}
            (Some(other), _) => {
                if !self.connected(side, other, peer) {
                    let (caller, callee, role) = match side {
                        Side::Ingress => (other.as_str(), app.as_str(), "a caller"),
                        Side::Egress => (app.as_str(), other.as_str(), "a callee"),
                    };
                    let whom = describe(peer);
                    found.push(format!(
                        "{caller} → {callee}, {place}: {app}'s {} admits {whom}, which the graph does not have as \
                         {role} of {app} there",
                        side.name()
                    ));
                }
            }
            (None, Side::Ingress) if !self.outside_path(peer) => found.push(format!(
                "{app}, {place}: its ingress admits {} on port {PORT_NAME}, which is no caller or outside path of the \
                 graph",
                describe(peer)
            )),
            (None, _) => {}
        }
    }

    /// Whether the graph has an edge between this app and `other` on `side` and `peer`
    /// matches `other`'s pods in its namespace here.
    fn connected(&self, side: Side, other: &str, peer: &NetworkPolicyPeer) -> bool {
        let app = self.node.app.as_str();
        let edge = self.system.calls.iter().any(|edge| match side {
            Side::Ingress => edge.caller == other && edge.callee == app,
            Side::Egress => edge.caller == app && edge.callee == other,
        });
        let Some(node) = self.system.node(other).filter(|_| edge) else { return false };
        let pods = Pods { app: other, namespace: namespace_of(node, self.node, self.place) };
        peer_matches(peer, pods, self.own_namespace())
    }

    /// Whether `peer` is exactly the namespace of one of the app's outside paths.
    fn outside_path(&self, peer: &NetworkPolicyPeer) -> bool {
        let namespace =
            peer.namespace_selector.as_ref().filter(|s| s.match_expressions.as_deref().unwrap_or_default().is_empty());
        let labels = namespace.and_then(|s| s.match_labels.as_ref());
        let named = labels.filter(|l| l.len() == 1).and_then(|l| l.get(NAMESPACE_LABEL));
        peer.pod_selector.is_none() && named.is_some_and(|n| self.node.outside_namespaces.contains(n))
    }
}

/// A peer in words: its pods and their namespaces.
fn describe(peer: &NetworkPolicyPeer) -> String {
    let pods = match &peer.pod_selector {
        Some(selector) if !is_empty(selector) => format!("the pods {}", selector_text(selector)),
        _ => "every pod".to_string(),
    };
    let namespaces = match &peer.namespace_selector {
        None => "of its own namespace".to_string(),
        Some(selector) if is_empty(selector) => "of every namespace".to_string(),
        Some(selector) => match selector.match_labels.as_ref().and_then(|l| l.get(NAMESPACE_LABEL)) {
            Some(name) if selector_text(selector) == format!("{NAMESPACE_LABEL}={name}") => {
                format!("in namespace {name}")
            }
            _ => format!("in the namespaces {}", selector_text(selector)),
        },
    };
    format!("{pods} {namespaces}")
}

fn is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.iter().flatten().next().is_none()
        && selector.match_expressions.iter().flatten().next().is_none()
}

/// `k=v,k2 In (a, b)`.
fn selector_text(selector: &LabelSelector) -> String {
    let labels = selector.match_labels.iter().flatten().map(|(k, v)| format!("{k}={v}"));
    let expressions = selector.match_expressions.iter().flatten().map(|e| {
        let values = e.values.iter().flatten().cloned().collect::<Vec<_>>().join(", ");
        if values.is_empty() {
            format!("{} {}", e.key, e.operator)
        } else {
            format!("{} {} ({values})", e.key, e.operator)
        }
    });
    labels.chain(expressions).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    use super::*;

    fn requirement(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
        let values = (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect());
        LabelSelectorRequirement { key: key.into(), operator: operator.into(), values }
    }

    fn expressions(requirements: Vec<LabelSelectorRequirement>) -> LabelSelector {
        LabelSelector { match_expressions: Some(requirements), match_labels: None }
    }

    #[test]
    fn selectors_match_labels_and_expressions_as_kubernetes_does() {
        let front = Pods { app: "front", namespace: None }.labels();
        assert!(selects(&LabelSelector::default(), None), "the empty selector selects everything");
        assert!(!selects(&expressions(vec![requirement(APP_LABEL, "Exists", &[])]), None), "unknown labels");
        assert!(selects(&expressions(vec![requirement(APP_LABEL, "In", &["greeter", "front"])]), Some(&front)));
        assert!(!selects(&expressions(vec![requirement(APP_LABEL, "NotIn", &["front"])]), Some(&front)));
        assert!(selects(&expressions(vec![requirement("team", "DoesNotExist", &[])]), Some(&front)));
        assert!(!selects(&expressions(vec![requirement(APP_LABEL, "Gt", &["1"])]), Some(&front)));
        let labels = LabelSelector {
            match_labels: Some(Labels::from([(APP_LABEL.into(), "greeter".into())])),
            ..LabelSelector::default()
        };
        assert!(!selects(&labels, Some(&front)));
    }

    #[test]
    fn ports_match_by_number_range_or_the_grpc_name_over_tcp() {
        let port = |port: Option<IntOrString>, end_port: Option<i32>, protocol: Option<&str>| NetworkPolicyPort {
            port,
            end_port,
            protocol: protocol.map(String::from),
        };
        assert!(port_matches(None, 50051) && port_matches(Some(&[]), 50051));
        assert!(port_matches(Some(&[port(Some(IntOrString::Int(50051)), None, Some("TCP"))]), 50051));
        assert!(!port_matches(Some(&[port(Some(IntOrString::Int(50051)), None, Some("UDP"))]), 50051));
        assert!(port_matches(Some(&[port(Some(IntOrString::Int(50000)), Some(50100), None)]), 50051));
        assert!(!port_matches(Some(&[port(Some(IntOrString::Int(50052)), Some(50100), None)]), 50051));
        assert!(port_matches(Some(&[port(Some(IntOrString::String("grpc".into())), None, None)]), 50051));
        assert!(!port_matches(Some(&[port(Some(IntOrString::String("metrics".into())), None, None)]), 50051));
    }

    #[test]
    fn a_peer_without_a_namespace_selector_is_in_the_policy_s_own_namespace() {
        let pods = LabelSelector {
            match_labels: Some(Labels::from([(APP_LABEL.into(), "front".into())])),
            ..LabelSelector::default()
        };
        let peer = NetworkPolicyPeer { pod_selector: Some(pods), ..NetworkPolicyPeer::default() };
        assert!(peer_matches(&peer, Pods { app: "front", namespace: None }, None));
        assert!(peer_matches(&peer, Pods { app: "front", namespace: Some("shop") }, Some("shop")));
        assert!(!peer_matches(&peer, Pods { app: "front", namespace: Some("front-prod") }, Some("shop")));
        let everywhere = NetworkPolicyPeer { namespace_selector: Some(LabelSelector::default()), ..peer.clone() };
        assert!(peer_matches(&everywhere, Pods { app: "front", namespace: Some("front-prod") }, Some("shop")));
        assert!(!peer_matches(&NetworkPolicyPeer::default(), Pods { app: "front", namespace: None }, None));
    }
}
