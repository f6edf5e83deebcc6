//! `kuberpc graph` on the example system (the front calling the greeter and the journal), on
//! the real binary: its DOT and Mermaid (snapshotted), edges under mutual TLS marked (the bank
//! fixture), the committed NetworkPolicies agreeing
//! with it, tampered copies of them named by their edge (exit 1), bad input (exit 2), and SVG
//! through Graphviz when it is installed (its error otherwise).

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::{example_proto, repo_root};

/// `<front> -I <its dir> --peer <greeter> -I … --peer <journal> -I …`: the front as the source,
/// the others as its peers, as `generate` takes them.
fn system_args() -> Vec<String> {
    let (front, front_include) = example_proto("front");
    let mut args =
        vec!["graph".to_string(), front.display().to_string(), "-I".into(), front_include.display().to_string()];
    for app in ["greeter", "journal"] {
        let (proto, include) = example_proto(app);
        args.extend(["--peer".into(), proto.display().to_string(), "-I".into(), include.display().to_string()]);
    }
    args
}

fn run(args: &[String], cwd: &Path) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut command = common::kuberpc_command(&args, cwd);
    command.env("NO_COLOR", "1").output().unwrap()
}

fn with(mut args: Vec<String>, more: &[&str]) -> Vec<String> {
    args.extend(more.iter().map(|s| s.to_string()));
    args
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "stdout:\n{}\nstderr:\n{}", stdout(output), stderr(output));
    assert!(!stderr(output).contains("panicked"), "{}", stderr(output));
}

#[test]
fn the_example_system_as_dot_and_mermaid() {
    let dir = tempfile::tempdir().unwrap();
    let dot = run(&system_args(), dir.path());
    assert_exit(&dot, 0);
    let mermaid = run(&with(system_args(), &["--format", "mermaid"]), dir.path());
    assert_exit(&mermaid, 0);
    common::assert_snapshots([
        ("graph__example_system_dot".to_string(), stdout(&dot)),
        ("graph__example_system_mermaid".to_string(), stdout(&mermaid)),
    ]);
    let names = ["graph__example_system_dot", "graph__example_system_mermaid"];
    common::assert_no_unreferenced_snapshots(&["graph__"], names.map(String::from));
    assert!(fs::read_dir(dir.path()).unwrap().next().is_none(), "graph wrote into its working directory");

    // The same system with every file a source, in another order: the same graph.
    let mut all = vec!["graph".to_string()];
    for app in ["journal", "greeter", "front"] {
        let (proto, include) = example_proto(app);
        all.extend([proto.display().to_string(), "-I".into(), include.display().to_string()]);
    }
    let same = run(&all, dir.path());
    assert_exit(&same, 0);
    assert_eq!(stdout(&same), stdout(&dot));

    // The README's picture of the example system is this graph, as it is today.
    let readme = fs::read_to_string(repo_root().join("README.md")).unwrap();
    let picture = readme.split("```mermaid\n").nth(1).and_then(|rest| rest.split("```").next());
    assert_eq!(
        picture,
        Some(stdout(&mermaid).as_str()),
        "README.md's mermaid block is stale: paste the command's output"
    );
}

#[test]
fn out_writes_the_graph_to_a_file_and_nothing_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(&with(system_args(), &["--format", "mermaid", "--out", "system.mmd"]), dir.path());
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "");
    let written = fs::read_to_string(dir.path().join("system.mmd")).unwrap();
    assert!(written.starts_with("flowchart LR\n") && written.contains("svc_front -->|\"SayHello\"| svc_greeter"));
}

#[test]
fn a_gateway_is_a_node_reaching_its_routes_services() {
    let fixtures = repo_root().join("codegen/tests/fixtures");
    let ledger = fixtures.join("ledger/v1/ledger.proto");
    let args = ["graph".to_string(), ledger.display().to_string(), "-I".into(), fixtures.display().to_string()];
    let output = run(&with(args.to_vec(), &["--format", "mermaid"]), &repo_root());
    assert_exit(&output, 0);
    let mermaid = stdout(&output);
    assert!(mermaid.contains("  gateway_1([\"Gateway infra/public\"])\n"), "{mermaid}");
    assert!(mermaid.contains("  gateway_1 -.->|\"ledger.example.com\"| svc_ledger\n"), "{mermaid}");
    let output = run(&args, &repo_root());
    assert!(stdout(&output).contains("  gateway_1 -> svc_ledger [style=dashed, label=\"ledger.example.com\"];\n"));
}

/// An edge between two services with mutual TLS is drawn encrypted: labelled, thick in
/// Mermaid, bold and green in DOT; each service names its trust domain.
#[test]
fn an_edge_between_two_mutual_tls_services_is_marked_encrypted() {
    let fixtures = repo_root().join("codegen/tests/fixtures");
    let bank = fixtures.join("bank/v1/bank.proto");
    let args = ["graph".to_string(), bank.display().to_string(), "-I".into(), fixtures.display().to_string()];
    let output = run(&with(args.to_vec(), &["--format", "mermaid"]), &repo_root());
    assert_exit(&output, 0);
    let mermaid = stdout(&output);
    assert!(mermaid.contains("  svc_teller ==>|\"Withdraw (mTLS)\"| svc_vault\n"), "{mermaid}");
    assert!(mermaid.contains("<br/>mTLS: bank.example\"]"), "{mermaid}");
    assert!(mermaid.contains("  %% Thick: mutual TLS, both ends authenticated.\n"), "{mermaid}");
    let output = run(&args, &repo_root());
    assert_exit(&output, 0);
    let dot = stdout(&output);
    let edge = "  svc_teller -> svc_vault [label=\"Withdraw (mTLS)\", style=bold, color=\"darkgreen\", fontcolor=\"darkgreen\"];\n";
    assert!(dot.contains(edge), "{dot}");
}

/// `--deploy` with each example's committed manifest directory.
fn committed_deploy_args() -> Vec<String> {
    let dirs = ["front", "greeter", "journal"].map(|app| repo_root().join("examples").join(app).join("deploy"));
    dirs.iter().flat_map(|dir| ["--deploy".to_string(), dir.display().to_string()]).collect()
}

/// The examples' committed manifest directories copied into one, `dir`.
fn copy_committed_deploy(dir: &Path) {
    for app in ["front", "greeter", "journal"] {
        for (relative, content) in common::tree(&repo_root().join("examples").join(app).join("deploy")) {
            let target = dir.join(relative);
            fs::create_dir_all(target.parent().unwrap()).unwrap();
            fs::write(target, content).unwrap();
        }
    }
}

#[test]
fn the_committed_example_policies_agree_with_the_graph() {
    let output = run(&[system_args(), committed_deploy_args()].concat(), &repo_root());
    assert_exit(&output, 0);
    assert_eq!(stderr(&output), "");
}

/// Replaces `from` by `to` in `file` under `deploy`; the text must be there.
fn tamper(deploy: &Path, file: &str, from: &str, to: &str) {
    let path = deploy.join(file);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} no longer holds {from:?}: update the test");
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// Runs the graph against the example policies after `change` and expects exit 1 and
/// exactly the disagreements `expected`.
fn assert_disagreements(change: impl FnOnce(&Path), expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let deploy = dir.path().join("deploy");
    copy_committed_deploy(&deploy);
    change(&deploy);
    let output = run(&with(system_args(), &["--deploy", "deploy"]), dir.path());
    assert_exit(&output, 1);
    let stderr = stderr(&output);
    let mut lines: Vec<&str> = stderr.lines().collect();
    let summary = lines.pop().unwrap_or_default();
    assert_eq!(lines, expected);
    assert_eq!(
        summary,
        format!("kuberpc: {} disagreement(s) between the call graph and the NetworkPolicies", expected.len())
    );
    assert!(stdout(&output).starts_with("// The call graph"), "the graph is still written");
}

#[test]
fn a_callee_whose_environment_no_longer_admits_its_caller_is_named_by_the_edge() {
    // The greeter's prod ingress loses its callers' rule.
    let drop_callers = |deploy: &Path| {
        let path = deploy.join("greeter/components/prod/networkpolicy.yaml");
        let text = fs::read_to_string(&path).unwrap();
        let start = text.find("    # The callers the source declares: front.").expect("the callers' rule");
        let end = text.find("    # The outside paths").expect("the outside paths' rule");
        fs::write(&path, format!("{}{}", &text[..start], &text[end..])).unwrap();
    };
    assert_disagreements(
        drop_callers,
        &["front → greeter, environment prod: greeter's ingress does not admit front's pods in namespace front-prod on \
           port grpc (50051)"],
    );
}

#[test]
fn a_caller_in_the_wrong_namespace_is_both_missing_and_extra() {
    assert_disagreements(
        |deploy| tamper(deploy, "journal/components/staging/networkpolicy.yaml", "\"front-staging\"", "\"front-prod\""),
        &[
            "front → journal, environment staging: journal's ingress admits the pods app.kubernetes.io/name=front in \
             namespace front-prod, which the graph does not have as a caller of journal there",
            "front → journal, environment staging: journal's ingress does not admit front's pods in namespace \
             front-staging on port grpc (50051)",
        ],
    );
}

#[test]
fn a_callers_egress_on_the_wrong_port_is_named() {
    let from =
        "    - ports:\n        - port: 50051\n          protocol: TCP\n      to:\n        - podSelector:\n            \
                matchLabels:\n              app.kubernetes.io/name: \"journal\"";
    assert_disagreements(
        |deploy| tamper(deploy, "front/base/networkpolicy.yaml", from, &from.replace("50051", "50052")),
        &["front → journal, base: front's egress does not admit journal's pods (in its own namespace) on port 50051"],
    );
}

#[test]
fn a_caller_the_graph_does_not_have_is_named() {
    assert_disagreements(
        |deploy| {
            tamper(deploy, "greeter/base/networkpolicy.yaml", "\"front\"\n", "\"front\"\n        - podSelector: {}\n")
        },
        &["greeter, base: its ingress admits every pod of its own namespace on port grpc, which is no caller or \
           outside path of the graph"],
    );
    assert_disagreements(
        |deploy| {
            let rule = "              app.kubernetes.io/name: \"front\"\n";
            tamper(deploy, "journal/base/networkpolicy.yaml", rule, &format!("{rule}        - podSelector:\n            matchLabels:\n              app.kubernetes.io/name: \"greeter\"\n"));
        },
        &["greeter → journal, base: journal's ingress admits the pods app.kubernetes.io/name=greeter of its own \
           namespace, which the graph does not have as a caller of journal there"],
    );
}

#[test]
fn a_missing_app_or_policy_is_a_disagreement() {
    assert_disagreements(
        |deploy| fs::remove_file(deploy.join("front/components/staging/networkpolicy.yaml")).unwrap(),
        &["front: no NetworkPolicy at deploy/front/components/staging/networkpolicy.yaml"],
    );
    assert_disagreements(
        |deploy| fs::remove_dir_all(deploy.join("journal")).unwrap(),
        &["journal: no directory journal/ in any --deploy directory (deploy)"],
    );
}

/// Runs `args` in `dir`, expects exit 2 and nothing written, and returns stderr.
fn refused(args: &[String], dir: &Path) -> String {
    let before = common::tree(dir);
    let output = run(args, dir);
    assert_exit(&output, 2);
    assert_eq!(stdout(&output), "");
    assert_eq!(common::tree(dir), before, "a refused graph wrote a file");
    stderr(&output)
}

#[test]
fn an_unknown_callee_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let (front, include) = example_proto("front");
    let text = fs::read_to_string(&front).unwrap();
    assert!(text.contains("calls { service: \"journal\""));
    let proto_dir = dir.path().join("proto/front/v1");
    fs::create_dir_all(&proto_dir).unwrap();
    fs::write(
        proto_dir.join("front.proto"),
        text.replace("calls { service: \"journal\"", "calls { service: \"jornal\""),
    )
    .unwrap();
    let mut args: Vec<String> = ["graph", "proto/front/v1/front.proto", "-I", "proto", "-I"].map(String::from).to_vec();
    args.push(include.display().to_string());
    for app in ["greeter", "journal"] {
        let (proto, include) = example_proto(app);
        args.extend(["--peer".into(), proto.display().to_string(), "-I".into(), include.display().to_string()]);
    }
    let stderr = refused(&with(args, &["--out", "graph.dot"]), dir.path());
    assert!(stderr.contains("front.v1.Front calls \"jornal\", which is no service"), "{stderr}");
    assert!(stderr.contains("did you mean `journal`?"), "{stderr}");
    let line = text.lines().position(|l| l.contains("calls { service: \"journal\"")).unwrap() + 1;
    let column = text.lines().nth(line - 1).unwrap().find("service").unwrap() + 1;
    let place = format!("proto/front/v1/front.proto:{line}:{column}:");
    assert!(stderr.contains(&place), "not located at {place}:\n{stderr}");
}

#[test]
fn other_bad_input_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = refused(&with(system_args(), &["--deploy", "no-such-dir"]), dir.path());
    assert!(stderr.contains("--deploy no-such-dir: no such directory"), "{stderr}");

    fs::create_dir_all(dir.path().join("deploy/front/base")).unwrap();
    fs::write(
        dir.path().join("deploy/front/base/networkpolicy.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nspec:\n  ingress: 3\n",
    )
    .unwrap();
    let stderr = refused(&with(system_args(), &["--deploy", "deploy"]), dir.path());
    assert!(stderr.contains("deploy/front/base/networkpolicy.yaml:4:"), "not located:\n{stderr}");

    let api = repo_root().join("examples/front/src/api.rs");
    let stderr = refused(&["graph".to_string(), api.display().to_string()], dir.path());
    assert!(stderr.contains("kuberpc graph reads .proto files") && stderr.contains("emitted .proto"), "{stderr}");
}

/// Whether Graphviz's `dot` runs here.
fn graphviz_installed() -> bool {
    Command::new("dot").arg("-V").output().is_ok_and(|o| o.status.success())
}

#[test]
fn svg_is_graphviz_s_rendering_or_a_clear_error_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let svg = with(system_args(), &["--format", "svg", "--out", "system.svg"]);
    if graphviz_installed() {
        assert_exit(&run(&svg, dir.path()), 0);
        let written = fs::read_to_string(dir.path().join("system.svg")).unwrap();
        assert!(written.contains("<svg") && written.trim_end().ends_with("</svg>"), "{written}");
        for text in ["front.v1.Front :50051", "SayHello", "Append", "greeter.example.com"] {
            assert!(written.contains(text), "the SVG lacks {text:?}");
        }
        fs::remove_file(dir.path().join("system.svg")).unwrap();
    }
    // Without `dot` on PATH (as on a machine without Graphviz): exit 2, what to do, no file.
    let empty = tempfile::tempdir().unwrap();
    let args: Vec<&str> = svg.iter().map(String::as_str).collect();
    let output =
        common::kuberpc_command(&args, dir.path()).env("PATH", empty.path()).env("NO_COLOR", "1").output().unwrap();
    assert_exit(&output, 2);
    let stderr = stderr(&output);
    assert!(stderr.contains("needs Graphviz's `dot`, which is not on PATH"), "{stderr}");
    assert!(stderr.contains("install Graphviz") && stderr.contains("--format dot or --format mermaid"), "{stderr}");
    assert!(!dir.path().join("system.svg").exists());
}
