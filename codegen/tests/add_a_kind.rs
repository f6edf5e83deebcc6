//! CONTRIBUTING's "Where do I add a Kubernetes object?" answer, proven: in a scratch copy of
//! the crate, one template and one row of `OUTPUTS` make a LimitRange that is rendered, listed
//! in the kustomization, checked as a typed object and snapshotted by the unchanged snapshot
//! test. It compiles the copied crate once (in `common::scratch_cargo`'s target directory).

mod common;

use std::fs;
use std::path::Path;

/// The new kind's template.
const TEMPLATE: &str = "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: {{json app}}\nspec:\n  limits:\n    \
                        - type: Container\n      max:\n        cpu: {{json resources.cpu_limit}}\n";
/// Its row, inserted before the service config's.
const ROW: &str = "    Output { source: template!(\"limitrange\"), place: Place::Resource, file: \"limitrange.yaml\", \
                   wanted: |_| true, check: k8s::<k8s_openapi::api::core::v1::LimitRange>() },\n";
const ROW_BEFORE: &str = "    Output { source: Source::File(crate::service_config::file)";

/// A test added to the copy: a misspelt field of the new kind is refused, at the template.
const CHECK_TEST: &str = r#"
mod common;

#[test]
fn greeter_refuses_a_misspelt_field_of_the_new_kind() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::repo_root().join("templates/limitrange.yaml.hbs")).unwrap();
    std::fs::write(dir.path().join("limitrange.yaml.hbs"), text.replace("limits:", "limts:")).unwrap();
    let case = common::greeter();
    let mut config = case.config(std::path::Path::new("deploy"));
    config.templates_dir(dir.path());
    let error = config.generate(&case.protos, &case.includes).unwrap_err();
    let problems: Vec<String> = error.problems().iter().map(|p| p.to_string()).collect();
    let expected = "template limitrange renders LimitRange greeter: field `spec.limts` is not a field of this object";
    assert!(problems.iter().any(|p| p.contains(expected)), "{problems:?}");
}
"#;

/// Copies `from` (relative to the repository root) into `to`, recursively.
fn copy(from: &str, to: &Path) {
    let source = common::repo_root().join(from);
    if source.is_file() {
        fs::create_dir_all(to.join(from).parent().unwrap()).unwrap();
        fs::copy(&source, to.join(from)).unwrap();
        return;
    }
    for entry in fs::read_dir(&source).unwrap() {
        let name = entry.unwrap().file_name();
        copy(&format!("{from}/{}", name.to_string_lossy()), to);
    }
}

/// A workspace of the codegen crate and the spec it depends on, with the repository's shared
/// settings; `codegen/templates` and `codegen/proto` link to the copied top-level folders, as
/// in the repository.
fn scratch_workspace(dir: &Path) {
    let manifest = fs::read_to_string(common::repo_root().join("Cargo.toml")).unwrap();
    let shared = &manifest[manifest.find("[workspace.package]").unwrap()..manifest.find("\n[package]").unwrap()];
    fs::write(
        dir.join("Cargo.toml"),
        format!("[workspace]\nmembers = [\"spec\", \"codegen\"]\nresolver = \"2\"\n\n{shared}\n"),
    )
    .unwrap();
    for from in ["spec", "codegen/Cargo.toml", "codegen/src", "codegen/tests/common", "codegen/tests/snapshots.rs"] {
        copy(from, dir);
    }
    for from in ["templates", "proto", "examples/greeter/proto", "examples/front/proto"] {
        copy(from, dir);
    }
    for linked in ["templates", "proto"] {
        std::os::unix::fs::symlink(format!("../{linked}"), dir.join("codegen").join(linked)).unwrap();
    }
    fs::create_dir_all(dir.join("snapshots")).unwrap();
    for entry in fs::read_dir(common::repo_root().join("snapshots")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("greeter__") {
            copy(&format!("snapshots/{name}"), dir);
        }
    }
    fs::create_dir_all(dir.join(".cargo")).unwrap();
    // Every changed or new snapshot written as `.snap.new`, none failing the run (insta would
    // stop at the first).
    let env =
        "[env]\nINSTA_UPDATE = { value = \"new\", force = true }\nINSTA_FORCE_PASS = { value = \"1\", force = true }\n";
    fs::write(dir.join(".cargo/config.toml"), env).unwrap();
}

/// The kind's two edits: its template and its row.
fn add_the_kind(dir: &Path) {
    fs::write(dir.join("templates/limitrange.yaml.hbs"), TEMPLATE).unwrap();
    let outputs = dir.join("codegen/src/manifests/outputs.rs");
    let text = fs::read_to_string(&outputs).unwrap();
    let at = text.find(ROW_BEFORE).expect("the service config's row in OUTPUTS");
    fs::write(&outputs, format!("{}{ROW}{}", &text[..at], &text[at..])).unwrap();
}

#[test]
fn a_new_kind_is_a_template_and_a_row() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    scratch_workspace(dir.path());
    add_the_kind(dir.path());
    fs::write(dir.path().join("codegen/tests/new_kind.rs"), CHECK_TEST).unwrap();
    let args = ["test", "-p", "kuberpc-codegen", "--no-fail-fast", "--test", "snapshots", "--test", "new_kind"];
    let (output, _) =
        common::scratch_cargo(dir.path(), &[&args[..], &["--", "greeter_snapshots", "a_misspelt"]].concat());
    let log = common::text(&output);
    assert!(log.contains("test greeter_refuses_a_misspelt_field_of_the_new_kind ... ok"), "{log}");

    let mut new: Vec<String> = fs::read_dir(dir.path().join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".snap.new"))
        .collect();
    new.sort();
    let base = "greeter__deploy__greeter__base__";
    assert_eq!(new, [format!("{base}kustomization.yaml.snap.new"), format!("{base}limitrange.yaml.snap.new")], "{log}");
    let snapshot = |name: &str| fs::read_to_string(dir.path().join("snapshots").join(name)).unwrap();
    assert!(snapshot(&new[1]).contains("kind: LimitRange\nmetadata:\n  name: \"greeter\""), "{}", snapshot(&new[1]));
    assert!(snapshot(&new[0]).contains("  - \"limitrange.yaml\"\n"), "{}", snapshot(&new[0]));
    println!("a new kind: copied, built, rendered, checked and snapshotted in {:?}", started.elapsed());
}
