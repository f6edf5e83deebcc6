//! The graph as text: Graphviz DOT and a Mermaid flowchart, laid out left to right. A service
//! is a box (app, gRPC service and port, its namespace in each environment), an outside path
//! a rounded node with dashed edges to the services it reaches, and every method called is
//! an edge of its own — bold, green and labelled `mTLS` where both ends speak mutual TLS (a
//! thick arrow in Mermaid), whose services also name their trust domain. SVG is the DOT
//! rendered by Graphviz's `dot`.

use std::io::Write;
use std::process::{Command, Stdio};

use kuberpc_codegen::{Error, Problem};

use super::{Node, System};

/// The lines of a service's node.
fn service_lines(node: &Node) -> Vec<String> {
    let mut lines = vec![node.app.clone(), format!("{} :{}", node.service, node.port)];
    lines.extend(node.environments.iter().map(|(name, namespace)| format!("{name}: {namespace}")));
    lines.extend(node.mtls.iter().map(|trust_domain| format!("mTLS: {trust_domain}")));
    lines
}

/// An edge's label: the method, and `mTLS` when the edge is encrypted.
fn edge_label(method: &str, encrypted: bool) -> String {
    if encrypted {
        format!("{method} (mTLS)")
    } else {
        method.to_string()
    }
}

/// A service's node identifier: app names are DNS labels, so `-` → `_` names no other app.
fn service_id(app: &str) -> String {
    format!("svc_{}", app.replace('-', "_"))
}

/// `text` as a DOT string's contents.
fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The graph as Graphviz DOT.
pub(crate) fn dot(system: &System) -> String {
    let mut out = String::from("// The call graph of the system, written by `kuberpc graph`.\ndigraph kuberpc {\n");
    out.push_str("  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n\n");
    out.push_str("  // Services: app, gRPC service and port, namespace in each environment.\n");
    for node in &system.services {
        let label: Vec<String> = service_lines(node).iter().map(|l| dot_escape(l)).collect();
        out.push_str(&format!("  {} [label=\"{}\"];\n", service_id(&node.app), label.join("\\n")));
    }
    if !system.paths.is_empty() {
        out.push_str("\n  // Outside paths: Ingresses and Gateways.\n");
    }
    for path in &system.paths {
        let label: Vec<String> = path.lines.iter().map(|l| dot_escape(l)).collect();
        out.push_str(&format!("  {} [shape=box, style=rounded, label=\"{}\"];\n", path.id, label.join("\\n")));
    }
    out.push_str("\n  // Calls, one edge per method; dashed: the ways in from outside.\n");
    if system.calls.iter().any(|edge| edge.encrypted) {
        out.push_str("  // Bold green: mutual TLS, both ends authenticated.\n");
    }
    for edge in &system.calls {
        let (caller, callee) = (service_id(&edge.caller), service_id(&edge.callee));
        let style = if edge.encrypted { ", style=bold, color=\"darkgreen\", fontcolor=\"darkgreen\"" } else { "" };
        for method in &edge.methods {
            let label = dot_escape(&edge_label(method, edge.encrypted));
            out.push_str(&format!("  {caller} -> {callee} [label=\"{label}\"{style}];\n"));
        }
    }
    for path in &system.paths {
        for (app, label) in &path.reaches {
            let label = label.as_deref().map(|l| format!(", label=\"{}\"", dot_escape(l))).unwrap_or_default();
            out.push_str(&format!("  {} -> {} [style=dashed{label}];\n", path.id, service_id(app)));
        }
    }
    out.push_str("}\n");
    out
}

/// `text` inside a Mermaid `"…"` string.
fn mermaid_escape(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn mermaid_label(lines: &[String]) -> String {
    lines.iter().map(|l| mermaid_escape(l)).collect::<Vec<_>>().join("<br/>")
}

/// The graph as a Mermaid flowchart.
pub(crate) fn mermaid(system: &System) -> String {
    let mut out = String::from("flowchart LR\n");
    out.push_str("  %% Services: app, gRPC service and port, namespace in each environment.\n");
    for node in &system.services {
        out.push_str(&format!("  {}[\"{}\"]\n", service_id(&node.app), mermaid_label(&service_lines(node))));
    }
    if !system.paths.is_empty() {
        out.push_str("  %% Outside paths: Ingresses and Gateways.\n");
    }
    for path in &system.paths {
        out.push_str(&format!("  {}([\"{}\"])\n", path.id, mermaid_label(&path.lines)));
    }
    out.push_str("  %% Calls, one edge per method; dotted: the ways in from outside.\n");
    if system.calls.iter().any(|edge| edge.encrypted) {
        out.push_str("  %% Thick: mutual TLS, both ends authenticated.\n");
    }
    for edge in &system.calls {
        let (caller, callee) = (service_id(&edge.caller), service_id(&edge.callee));
        let arrow = if edge.encrypted { "==>" } else { "-->" };
        for method in &edge.methods {
            let label = mermaid_escape(&edge_label(method, edge.encrypted));
            out.push_str(&format!("  {caller} {arrow}|\"{label}\"| {callee}\n"));
        }
    }
    for path in &system.paths {
        for (app, label) in &path.reaches {
            let label = label.as_deref().map(|l| format!("|\"{}\"|", mermaid_escape(l))).unwrap_or_default();
            out.push_str(&format!("  {} -.->{label} {}\n", path.id, service_id(app)));
        }
    }
    out
}

/// `dot` rendered by Graphviz (`dot -Tsvg`, found on PATH).
pub(crate) fn svg(dot: &str) -> Result<String, Error> {
    let spawned =
        Command::new("dot").arg("-Tsvg").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Problem::new("--format svg needs Graphviz's `dot`, which is not on PATH")
                .with_help(
                    "install Graphviz (e.g. `apt-get install graphviz`), or use --format dot or --format mermaid",
                )
                .into())
        }
        Err(e) => return Err(Problem::new(format!("cannot run Graphviz's `dot`: {e}")).into()),
    };
    // `dot` reads all of its input before it writes: no deadlock writing first.
    let written = child.stdin.take().map(|mut stdin| stdin.write_all(dot.as_bytes()));
    let output = child.wait_with_output().map_err(|e| Problem::new(format!("cannot run Graphviz's `dot`: {e}")))?;
    if let Some(Err(e)) = written {
        return Err(Problem::new(format!("cannot write to Graphviz's `dot`: {e}")).into());
    }
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(
            Problem::new(format!("Graphviz's `dot -Tsvg` failed ({}): {}", output.status, stderr.trim())).into()
        );
    }
    String::from_utf8(output.stdout).map_err(|_| Problem::new("Graphviz's `dot -Tsvg` wrote no UTF-8 text").into())
}
