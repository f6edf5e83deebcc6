//! The NetworkPolicy of an app from the call graph, default deny both ways: who may open a
//! connection to its pods, and where its pods may open one — in the base (every peer in the
//! app's own namespace) and in each environment (each peer in its namespace there).
//!
//! Ingress: the gRPC port from the pods of the declared callers, and from the namespaces of
//! the outside paths the source names (the ingress controller's, the Gateway's); the metrics
//! port from the monitoring namespace. Nothing else: a service no one declares as a caller is
//! reached only through those outside paths. The kubelet's probes come from the node, which
//! NetworkPolicy never restricts.
//!
//! Egress: each callee's gRPC port, the cluster DNS, and the OTLP collector when one is set.
//!
//! Also the addresses the caller's pods find each callee at (`KUBERPC_CALL_<APP>`), and under
//! mutual TLS the identities of the callers in other namespaces (`KUBERPC_CALLER_<APP>`),
//! which follow the same namespaces.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Environment, Peer, Service};

use super::view::{Variable, METRICS_PORT_NAME, PORT_NAME};

/// The label every workload of kuberpc's pods carries with the app name.
const APP_LABEL: &str = "app.kubernetes.io/name";
/// The namespace label the API server sets on every namespace.
const NAMESPACE_LABEL: &str = "kubernetes.io/metadata.name";
/// Where the cluster DNS runs, and the label of its pods (kube-dns and CoreDNS alike).
const DNS_NAMESPACE: &str = "kube-system";
const DNS_POD_LABEL: (&str, &str) = ("k8s-app", "kube-dns");
/// The OTLP/gRPC port, when the endpoint names none.
const OTLP_PORT: u16 = 4317;

/// The rules of one NetworkPolicy.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PolicyView {
    ingress: Vec<Rule>,
    egress: Vec<Rule>,
}

/// One rule: these peers (none: every destination), these ports.
#[derive(Debug, Clone, Serialize)]
struct Rule {
    /// Why the rule is there, printed above it.
    reason: String,
    peers: Vec<PeerView>,
    ports: Vec<PortView>,
}

/// Pods by label (or every pod), in a namespace (`None`: the policy's own), or an address
/// block.
#[derive(Debug, Clone, Default, Serialize)]
struct PeerView {
    pods: Option<BTreeMap<&'static str, String>>,
    any_pod: bool,
    namespace: Option<BTreeMap<&'static str, String>>,
    cidr: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct PortView {
    /// A number, or the name of a container port of the policy's own pods.
    port: serde_json::Value,
    protocol: &'static str,
}

/// The variable of one callee's address in the caller's pods.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CallAddress {
    name: String,
    value: String,
}

/// Where the policy stands: the base, or one environment (peers in their namespaces there).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'a> {
    environment: Option<&'a Environment>,
}

impl<'a> Place<'a> {
    /// The base: every peer in the app's own namespace.
    pub(crate) const BASE: Place<'static> = Place { environment: None };

    /// The environment `environment`.
    pub(crate) fn environment(environment: &'a Environment) -> Self {
        Place { environment: Some(environment) }
    }

    /// The namespace of `peer` here, when it is not the app's own.
    fn namespace_of(&self, peer: &Peer) -> Option<String> {
        let own = self.environment?;
        let namespace = peer.namespace_in(&own.name, &own.namespace);
        (namespace != own.namespace).then(|| namespace.to_string())
    }

    /// `peer`'s pods, here.
    fn pods_of(&self, peer: &Peer) -> PeerView {
        PeerView {
            pods: Some(BTreeMap::from([(APP_LABEL, peer.app.clone())])),
            namespace: self.namespace_of(peer).map(namespace_selector),
            ..PeerView::default()
        }
    }
}

/// The policy of `service` at `place`.
pub(crate) fn policy(service: &Service, place: Place<'_>) -> PolicyView {
    PolicyView { ingress: ingress(service, place), egress: egress(service, place) }
}

fn ingress(service: &Service, place: Place<'_>) -> Vec<Rule> {
    let deploy = &service.deploy;
    let mut rules = Vec::new();
    if !deploy.callers.is_empty() {
        let apps: Vec<&str> = deploy.callers.iter().map(|c| c.app.as_str()).collect();
        rules.push(Rule {
            reason: format!("The callers the source declares: {}.", apps.join(", ")),
            peers: deploy.callers.iter().map(|caller| place.pods_of(caller)).collect(),
            ports: vec![tcp(PORT_NAME.into())],
        });
    }
    let ingress = deploy.ingress.as_ref().map(|i| ("the ingress controller", i.controller_namespace.as_str()));
    let gateway = deploy.gateway.as_ref().and_then(|g| Some(("the Gateway", g.controller_namespace.as_deref()?)));
    let outside: Vec<(&str, &str)> = ingress.into_iter().chain(gateway).collect();
    // A Gateway in the app's own namespace, no controller namespace named: its proxies run
    // beside the app (as for an in-namespace Gateway's own deployment), so any pod here may.
    if deploy.gateway.as_ref().is_some_and(|g| g.controller_namespace.is_none()) {
        rules.push(Rule {
            reason: "The Gateway in this namespace (no gateway.controller_namespace): its proxies' pods here.".into(),
            peers: vec![PeerView { any_pod: true, ..PeerView::default() }],
            ports: vec![tcp(PORT_NAME.into())],
        });
    }
    if !outside.is_empty() {
        let mut namespaces: Vec<&str> = outside.iter().map(|(_, namespace)| *namespace).collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        let paths: Vec<String> = outside.iter().map(|(what, namespace)| format!("{what} ({namespace})")).collect();
        rules.push(Rule {
            reason: format!("The outside paths the source names: {}.", paths.join(", ")),
            peers: namespaces.into_iter().map(namespace_peer).collect(),
            ports: vec![tcp(PORT_NAME.into())],
        });
    }
    if deploy.observability.metrics_port.is_some() {
        let namespace = &deploy.observability.monitoring_namespace;
        rules.push(Rule {
            reason: format!("Metrics, scraped from the monitoring namespace ({namespace})."),
            peers: vec![namespace_peer(namespace)],
            ports: vec![tcp(METRICS_PORT_NAME.into())],
        });
    }
    rules
}

fn egress(service: &Service, place: Place<'_>) -> Vec<Rule> {
    let deploy = &service.deploy;
    let mut rules: Vec<Rule> = deploy
        .calls
        .iter()
        .filter_map(|call| call.callee.as_ref())
        .map(|callee| Rule {
            reason: format!("Calls to {} ({}).", callee.app, callee.methods.join(", ")),
            peers: vec![place.pods_of(callee)],
            ports: vec![tcp(callee.port.into())],
        })
        .collect();
    rules.push(Rule {
        reason: "The cluster DNS.".into(),
        peers: vec![PeerView {
            pods: Some(BTreeMap::from([(DNS_POD_LABEL.0, DNS_POD_LABEL.1.to_string())])),
            ..namespace_peer(DNS_NAMESPACE)
        }],
        ports: vec![PortView { port: 53.into(), protocol: "UDP" }, tcp(53.into())],
    });
    if let Some(endpoint) = &deploy.observability.otlp_endpoint {
        rules.push(otlp_rule(endpoint));
    }
    rules
}

/// Egress to the OTLP collector at `endpoint` (`http://host:port`): a Service name
/// (`collector`, `collector.observability`, `collector.observability.svc…`) is its namespace's
/// pods, an IP address its own block, any other host every destination on that port.
fn otlp_rule(endpoint: &str) -> Rule {
    let authority = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
    let authority = authority.split('/').next().unwrap_or(authority);
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') => (host, port.parse().unwrap_or(OTLP_PORT)),
        _ => (authority, OTLP_PORT),
    };
    let host = host.trim_matches(['[', ']']);
    let labels: Vec<&str> = host.split('.').collect();
    let peers = if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        vec![PeerView { cidr: Some(format!("{ip}/{bits}")), ..PeerView::default() }]
    } else if labels.len() == 1 {
        vec![PeerView { any_pod: true, ..PeerView::default() }]
    } else if labels.len() == 2 || labels.get(2) == Some(&"svc") {
        vec![namespace_peer(labels[1])]
    } else {
        Vec::new()
    };
    Rule { reason: format!("Traces to the OTLP collector ({endpoint})."), peers, ports: vec![tcp(port.into())] }
}

fn tcp(port: serde_json::Value) -> PortView {
    PortView { port, protocol: "TCP" }
}

fn namespace_selector(namespace: impl Into<String>) -> BTreeMap<&'static str, String> {
    BTreeMap::from([(NAMESPACE_LABEL, namespace.into())])
}

/// Every pod of `namespace`.
fn namespace_peer(namespace: &str) -> PeerView {
    PeerView { namespace: Some(namespace_selector(namespace)), ..PeerView::default() }
}

/// `KUBERPC_CALL_<APP>` of each callee of `service`: at `place`, its headless Service in the
/// callee's namespace there (in the base, the app's own namespace: the short name).
pub(crate) fn call_addresses(service: &Service, place: Place<'_>) -> Vec<CallAddress> {
    let callees = service.deploy.calls.iter().filter_map(|call| call.callee.as_ref());
    callees
        .map(|callee| {
            let namespace =
                place.environment.map(|environment| callee.namespace_in(&environment.name, &environment.namespace));
            CallAddress { name: kuberpc_spec::address_env(&callee.app), value: callee.address(namespace) }
        })
        .collect()
}

/// `KUBERPC_CALLER_<APP>` of each caller of `service` that runs in another namespace at
/// `place`, under mutual TLS: its SPIFFE ID there. A caller in the app's own namespace (and
/// every caller in the base) needs none: the runtime takes the pod's own namespace.
pub(crate) fn caller_identities(service: &Service, place: Place<'_>) -> Vec<Variable> {
    let Some(mtls) = &service.deploy.mtls else { return Vec::new() };
    let elsewhere = service.deploy.callers.iter().filter_map(|caller| Some((caller, place.namespace_of(caller)?)));
    elsewhere
        .map(|(caller, namespace)| Variable {
            name: kuberpc_spec::identity_env(&caller.app),
            value: mtls.identity(&namespace, &caller.app),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peers(rule: &Rule) -> Vec<String> {
        rule.peers.iter().map(|p| serde_json::to_string(p).unwrap()).collect()
    }

    #[test]
    fn the_otlp_endpoint_becomes_the_narrowest_peer_its_host_allows() {
        let rule = otlp_rule("http://otel-collector.observability:4317");
        assert_eq!(
            peers(&rule),
            [
                r#"{"pods":null,"any_pod":false,"namespace":{"kubernetes.io/metadata.name":"observability"},"cidr":null}"#
            ]
        );
        let rule = otlp_rule("http://otel-collector.observability.svc.cluster.local:4318");
        assert_eq!(rule.ports[0].port, 4318);
        assert!(peers(&rule)[0].contains("observability"));
        let rule = otlp_rule("http://10.1.2.3:4317");
        assert_eq!(peers(&rule), [r#"{"pods":null,"any_pod":false,"namespace":null,"cidr":"10.1.2.3/32"}"#]);
        let rule = otlp_rule("http://[fd00::1]:4317");
        assert!(peers(&rule)[0].contains("fd00::1/128"), "{:?}", peers(&rule));
        let rule = otlp_rule("http://collector");
        assert!(rule.peers[0].any_pod && rule.ports[0].port == 4317);
        assert!(otlp_rule("https://otlp.example.com:443").peers.is_empty());
    }

    /// With no controller namespace, an in-namespace Gateway's proxies are admitted from the
    /// app's namespace; with one, from that namespace only.
    #[test]
    fn a_gateway_is_admitted_from_where_its_proxies_run() {
        let proto = |gateway: &str| {
            format!(
                "syntax = \"proto3\";\nimport \"kuberpc/v1/options.proto\";\nservice Gw {{\n  option \
                 (kuberpc.v1.service) = {{ gateway {{ {gateway} }} }};\n  rpc Get(M) returns (M);\n}}\nmessage M {{}}\n"
            )
        };
        for (gateway, any_pod, namespace) in
            [("parent: \"gw\"", true, None), ("parent: \"infra/gw\"", false, Some("infra"))]
        {
            let compiled = crate::proto::compile_in_memory(&[("gw.proto", &proto(gateway))]).unwrap();
            let rules = policy(&compiled.packages[0].services[0], Place::BASE).ingress;
            let gateway_rule = rules.iter().find(|r| r.reason.contains("Gateway")).expect(gateway);
            assert_eq!(gateway_rule.peers[0].any_pod, any_pod, "{gateway}");
            let selected = gateway_rule.peers[0].namespace.as_ref().map(|n| n[NAMESPACE_LABEL].as_str());
            assert_eq!(selected, namespace, "{gateway}");
        }
    }
}
