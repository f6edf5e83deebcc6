//! Real scanners over every overlay of every deployable example, as `kubectl kustomize`
//! builds it: checkov (0 failed checks), kubernetes-validate --strict for Kubernetes
//! 1.33, 1.34 and 1.35 (0 errors), and Pod Security Admission's own evaluator at the
//! `restricted` level the overlays' namespaces enforce (0 violations); and hadolint over every
//! generated Dockerfile (no finding at any level), which also has to agree with the pod it
//! builds for (user, port); and openapi-spec-validator over every OpenAPI document (the REST
//! bindings' `base/openapi.json`). Each scanner also gets a deliberately broken input, so these tests
//! can fail. The tools come from `scripts/setup-test-tools` (into `.venv`).

mod common;

use common::text;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KUBERNETES_VERSIONS: [&str; 3] = ["1.33.0", "1.34.0", "1.35.0"];

fn tool(name: &str) -> PathBuf {
    let path = common::repo_root().join(".venv/bin").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/setup-test-tools (the README's test command does)",
        path.display()
    );
    path
}

/// Every overlay of the greeter (proto-first), counter (trait-first), journal (StatefulSet) and
/// front (calling the greeter and the journal) examples and of the whole example system,
/// committed, and of the ledger and bank (mutual TLS) fixtures (generated), built, as
/// `(name, yaml)`.
fn built_overlays(scratch: &Path) -> Vec<(String, String)> {
    for case in [common::ledger(), common::bank()] {
        case.config(scratch).write(&case.generate_into(scratch)).unwrap();
    }
    let greeter = common::repo_root().join("examples/greeter/deploy/greeter/overlays");
    let counter = common::repo_root().join("examples/counter/deploy/counter/overlays");
    let journal = common::repo_root().join("examples/journal/deploy/journal/overlays");
    let front = common::repo_root().join("examples/front/deploy/front/overlays");
    let system = common::repo_root().join("examples/system/overlays");
    let ledger = scratch.join("ledger/overlays");
    let (teller, vault) = (scratch.join("teller/overlays"), scratch.join("vault/overlays"));
    let mut built = Vec::new();
    let apps = [
        ("greeter", greeter),
        ("counter", counter),
        ("journal", journal),
        ("front", front),
        ("system", system),
        ("ledger", ledger),
        ("teller", teller),
        ("vault", vault),
    ];
    for (app, overlays) in apps {
        // Every environment the app has, whatever the source names them.
        let mut environments: Vec<_> = std::fs::read_dir(&overlays).unwrap().map(|e| e.unwrap().file_name()).collect();
        environments.sort();
        assert!(environments.len() >= 2, "{app} has {environments:?}");
        for overlay in environments {
            let name = overlay.to_string_lossy();
            built.push((format!("{app}-{name}"), common::kustomize(&overlays.join(&overlay))));
        }
    }
    built
}

/// checkov skips hidden directories, and tempfile's default names start with a dot.
fn visible_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("kuberpc-scan-").tempdir().unwrap()
}

fn checkov(dir: &Path) -> Output {
    Command::new(tool("checkov"))
        .args(["--framework", "kubernetes", "--skip-download", "--compact", "--quiet", "-d"])
        .arg(dir)
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .unwrap()
}

fn kubernetes_validate(file: &Path, version: &str) -> Output {
    Command::new(tool("kubernetes-validate")).args(["--strict", "-k", version, "--quiet"]).arg(file).output().unwrap()
}

#[test]
fn checkov_finds_nothing_in_any_overlay() {
    let scratch = tempfile::tempdir().unwrap();
    let scan = visible_tempdir();
    for (name, yaml) in built_overlays(scratch.path()) {
        fs::write(scan.path().join(format!("{name}.yaml")), yaml).unwrap();
    }
    let output = checkov(scan.path());
    let report = text(&output);
    let passed = report.contains("Passed checks: ") && !report.contains("Passed checks: 0,");
    assert!(output.status.success() && passed && report.contains("Failed checks: 0,"), "{report}");
}

#[test]
fn checkov_flags_a_broken_manifest() {
    let scratch = tempfile::tempdir().unwrap();
    let scan = visible_tempdir();
    let (_, yaml) = built_overlays(scratch.path()).into_iter().find(|(n, _)| n == "greeter-prod").unwrap();
    let broken = yaml.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false");
    assert_ne!(broken, yaml);
    fs::write(scan.path().join("broken.yaml"), broken).unwrap();
    let output = checkov(scan.path());
    let report = text(&output);
    assert!(!output.status.success() && report.contains("CKV_K8S_22"), "{report}");
}

#[test]
fn kubernetes_validate_strict_accepts_every_overlay_on_1_33_to_1_35() {
    let scratch = tempfile::tempdir().unwrap();
    for (name, yaml) in built_overlays(scratch.path()) {
        let file = scratch.path().join(format!("{name}.yaml"));
        fs::write(&file, yaml).unwrap();
        for version in KUBERNETES_VERSIONS {
            let output = kubernetes_validate(&file, version);
            assert!(output.status.success(), "{name} on {version}:\n{}", text(&output));
        }
    }
}

#[test]
fn kubernetes_validate_flags_an_unknown_field() {
    let scratch = tempfile::tempdir().unwrap();
    let (_, yaml) = built_overlays(scratch.path()).into_iter().find(|(n, _)| n == "greeter-prod").unwrap();
    let broken = yaml.replace("containerPort:", "contanerPort:");
    assert_ne!(broken, yaml);
    let file = scratch.path().join("broken.yaml");
    fs::write(&file, broken).unwrap();
    let output = kubernetes_validate(&file, KUBERNETES_VERSIONS[0]);
    assert!(!output.status.success(), "the misspelled field passed:\n{}", text(&output));
}

fn psa_check(yaml: &str) -> Output {
    let mut child = Command::new(tool("psa-check"))
        .args(["-level", "restricted", "-version", "latest"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), yaml.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn pod_security_restricted_admits_every_overlay() {
    let scratch = tempfile::tempdir().unwrap();
    for (name, yaml) in built_overlays(scratch.path()) {
        assert!(yaml.contains("pod-security.kubernetes.io/enforce: restricted"), "{name} enforces restricted");
        let output = psa_check(&yaml);
        assert!(output.status.success(), "{name}: {}", text(&output));
        assert!(text(&output).contains("0 violation(s)"), "{name}: {}", text(&output));
    }
}

#[test]
fn pod_security_restricted_refuses_a_privileged_escalation() {
    let scratch = tempfile::tempdir().unwrap();
    let (_, yaml) = built_overlays(scratch.path()).into_iter().find(|(n, _)| n == "greeter-prod").unwrap();
    let broken = yaml.replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true");
    assert_ne!(broken, yaml);
    let output = psa_check(&broken);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("allowPrivilegeEscalation"), "{}", text(&output));
}

/// The examples' Dockerfiles and the ledger fixture's (generated), as `(app, path)`.
fn dockerfiles(scratch: &Path) -> Vec<(String, PathBuf)> {
    let ledger = common::ledger();
    ledger.config(scratch).write(&ledger.generate_into(scratch)).unwrap();
    let examples = common::repo_root().join("examples");
    vec![
        ("greeter".into(), examples.join("greeter/deploy/greeter/Dockerfile")),
        ("counter".into(), examples.join("counter/deploy/counter/Dockerfile")),
        ("journal".into(), examples.join("journal/deploy/journal/Dockerfile")),
        ("front".into(), examples.join("front/deploy/front/Dockerfile")),
        ("ledger".into(), scratch.join("ledger/Dockerfile")),
    ]
}

fn hadolint(file: &Path) -> Output {
    Command::new(tool("hadolint")).args(["--no-color", "--failure-threshold", "style"]).arg(file).output().unwrap()
}

#[test]
fn hadolint_finds_nothing_in_any_dockerfile() {
    let scratch = tempfile::tempdir().unwrap();
    for (app, file) in dockerfiles(scratch.path()) {
        let output = hadolint(&file);
        assert!(output.status.success() && text(&output).trim().is_empty(), "{app}: {}", text(&output));
    }
}

#[test]
fn hadolint_flags_a_broken_dockerfile() {
    let scratch = tempfile::tempdir().unwrap();
    let (_, file) = dockerfiles(scratch.path()).remove(0);
    let dockerfile = fs::read_to_string(file).unwrap();
    let broken = dockerfile.replace("WORKDIR /src", "RUN cd /src");
    assert_ne!(broken, dockerfile);
    let path = scratch.path().join("Dockerfile");
    fs::write(&path, broken).unwrap();
    let output = hadolint(&path);
    assert!(!output.status.success() && text(&output).contains("DL3003"), "{}", text(&output));
}

/// The image runs as the user the pod's securityContext demands, exposes the port the
/// container declares, and runs the binary; the runtime stage has no shell-form command.
#[test]
fn every_dockerfile_agrees_with_its_pod() {
    let scratch = tempfile::tempdir().unwrap();
    let overlays = built_overlays(scratch.path());
    for (app, file) in dockerfiles(scratch.path()) {
        let dockerfile = fs::read_to_string(&file).unwrap();
        let pod = &overlays.iter().find(|(name, _)| name.starts_with(&format!("{app}-"))).unwrap().1;
        let value = |yaml: &str, key: &str| {
            let bare = |line: &str| line.trim_start().trim_start_matches("- ").to_string();
            let line = yaml.lines().map(bare).find(|l| l.starts_with(key)).unwrap_or_else(|| panic!("{app}: no {key}"));
            line[key.len()..].trim().to_string()
        };
        let user = value(pod, "runAsUser:");
        assert!(dockerfile.contains(&format!("\nUSER {user}:{user}\n")), "{app}: the image's USER is not {user}");
        let port = value(pod, "containerPort:");
        assert!(dockerfile.contains(&format!("\nEXPOSE {port}\n")), "{app}: the image does not expose {port}");
        let runtime_stage = dockerfile.rsplit("\nFROM ").next().unwrap();
        assert!(runtime_stage.contains("ENTRYPOINT [\""), "{app}: exec-form entrypoint");
        assert!(!runtime_stage.contains("\nRUN "), "{app}: the runtime stage must not need a shell");
    }
}

/// Every OpenAPI document kuberpc writes: the greeter's (committed), and the library example's
/// two (googleapis' library.proto and kuberpc's well-known-type echo), generated, as
/// `(name, path)` of files in `scratch`.
fn openapi_documents(scratch: &Path) -> Vec<(String, PathBuf)> {
    let examples = common::repo_root().join("examples");
    let mut documents = vec![("greeter".to_string(), examples.join("greeter/deploy/greeter/base/openapi.json"))];
    let proto = examples.join("library/proto");
    let protos = [proto.join("google/example/library/v1/library.proto"), proto.join("wkt/v1/echo.proto")];
    let generated = kuberpc_codegen::configure().stubs(false).generate(&protos, &[&proto]).unwrap();
    for file in generated.files(kuberpc_codegen::Destination::Manifests) {
        if file.path.ends_with("openapi.json") {
            let name = file.path.iter().next().unwrap().to_string_lossy().to_string();
            let path = scratch.join(format!("{name}.openapi.json"));
            fs::write(&path, &file.content).unwrap();
            documents.push((name, path));
        }
    }
    assert_eq!(documents.len(), 3, "{documents:?}");
    documents
}

fn openapi_spec_validator(file: &Path) -> Output {
    Command::new(tool("openapi-spec-validator")).arg(file).output().unwrap()
}

#[test]
fn openapi_spec_validator_accepts_every_document() {
    let scratch = tempfile::tempdir().unwrap();
    for (name, file) in openapi_documents(scratch.path()) {
        let output = openapi_spec_validator(&file);
        assert!(output.status.success(), "{name}: {}", text(&output));
        let document: serde_json::Value = serde_json::from_slice(&fs::read(&file).unwrap()).unwrap();
        assert_eq!(document["openapi"], "3.1.0", "{name}");
    }
}

/// A path parameter the path does not name is an error the validator reports.
#[test]
fn openapi_spec_validator_flags_a_broken_document() {
    let scratch = tempfile::tempdir().unwrap();
    let (_, file) = openapi_documents(scratch.path()).remove(0);
    let document = fs::read_to_string(file).unwrap();
    let broken = document.replace("\"/v1/greetings/{name}\"", "\"/v1/greetings/{who}\"");
    assert_ne!(broken, document);
    let path = scratch.path().join("broken.json");
    fs::write(&path, broken).unwrap();
    let output = openapi_spec_validator(&path);
    assert!(!output.status.success(), "{}", text(&output));
}
