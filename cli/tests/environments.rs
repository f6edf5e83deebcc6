//! Environments follow the source and never break silently, on the real binary and real
//! `kubectl kustomize`:
//! - drift: a value changed in the proto reaches the built overlay on the next `generate`,
//!   and the user's own patch in that overlay stays byte-identical;
//! - break: removing what a user patch targets makes `kuberpc check` exit 1 naming the overlay
//!   and kustomize's error; putting it back makes check exit 0 again.

mod common;

use std::fs;
use std::path::Path;

use common::{kuberpc, kustomize, text};

const SHOP: &str = r#"syntax = "proto3";
package shop.v1;
import "kuberpc/v1/options.proto";

service Shop {
  option (kuberpc.v1.service) = {
    image: "ghcr.io/acme/shop:1.0.0"
    AUTOSCALE
    environments { name: "prod" namespace: "shop-prod" ENVIRONMENT }
  };
  rpc Get(Req) returns (Resp);
}

message Req { string id = 1; }
message Resp { string id = 1; }
"#;

/// The user's own patch, added to their prod overlay: a label on the autoscaler.
const USER_PATCH: &str = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: shop\n  \
                          labels:\n    team: payments\n";

/// The shop with `autoscale` as written; its prod environment raises the minimum when the
/// service autoscales at all.
fn write_proto(dir: &Path, autoscale: &str) {
    let environment = if autoscale.is_empty() { "" } else { "autoscale { min: 3 }" };
    fs::write(dir.join("shop.proto"), SHOP.replace("AUTOSCALE", autoscale).replace("ENVIRONMENT", environment))
        .unwrap();
}

fn run(dir: &Path, command: &str) -> std::process::Output {
    kuberpc(&[command, "shop.proto", "-I", ".", "--out", "deploy"], dir)
}

/// Generates, then adds the user's patch to the seeded prod overlay.
fn generated_with_user_patch(dir: &Path) -> std::path::PathBuf {
    write_proto(dir, "autoscale { min: 2 max: 6 }");
    assert!(run(dir, "generate").status.success());
    let overlay = dir.join("deploy/shop/overlays/prod");
    fs::write(overlay.join("team.yaml"), USER_PATCH).unwrap();
    let kustomization = fs::read_to_string(overlay.join("kustomization.yaml")).unwrap();
    fs::write(overlay.join("kustomization.yaml"), format!("{kustomization}patches:\n  - path: team.yaml\n")).unwrap();
    overlay
}

#[test]
fn a_value_changed_in_the_proto_reaches_the_overlay_and_the_users_patch_stays() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = generated_with_user_patch(dir.path());
    let before = common::tree(&overlay);
    assert!(kustomize(&overlay).contains("maxReplicas: 6"));

    write_proto(dir.path(), "autoscale { min: 2 max: 10 }");
    let generate = run(dir.path(), "generate");
    assert!(generate.status.success(), "{}", text(&generate));
    let built = kustomize(&overlay);
    assert!(built.contains("maxReplicas: 10") && built.contains("minReplicas: 3"), "{built}");
    assert!(built.contains("team: payments"), "the user's patch still applies: {built}");
    assert_eq!(common::tree(&overlay), before, "the overlay is the user's: byte-identical");
    let check = run(dir.path(), "check");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(text(&check).contains("1 overlay(s) build"), "{}", text(&check));
}

#[test]
fn check_fails_naming_the_overlay_a_regeneration_broke_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    generated_with_user_patch(dir.path());

    // No autoscaler any more: the user's patch (and the component's) target nothing.
    write_proto(dir.path(), "");
    let generate = run(dir.path(), "generate");
    assert!(generate.status.success(), "{}", text(&generate));
    assert!(text(&generate).contains("warning: overlay"), "generate warns: {}", text(&generate));
    let check = run(dir.path(), "check");
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    let report = text(&check);
    assert!(report.contains("overlay") && report.contains("deploy/shop/overlays/prod no longer builds"), "{report}");
    assert!(report.contains("HorizontalPodAutoscaler"), "kustomize's own error: {report}");

    write_proto(dir.path(), "autoscale { min: 2 max: 6 }");
    assert!(run(dir.path(), "generate").status.success());
    let check = run(dir.path(), "check");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
}

#[test]
fn a_tag_and_digest_image_is_accepted_and_an_overlay_pin_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let (base, pinned) = ("a".repeat(64), "b".repeat(64));
    let source = SHOP
        .replace("ghcr.io/acme/shop:1.0.0", &format!("ghcr.io/acme/shop:1.0.0@sha256:{base}"))
        .replace("AUTOSCALE", "")
        .replace("ENVIRONMENT", "");
    fs::write(dir.path().join("shop.proto"), source).unwrap();
    let generate = run(dir.path(), "generate");
    assert!(generate.status.success(), "{}", text(&generate));
    let overlay = dir.path().join("deploy/shop/overlays/prod");
    let kustomization = fs::read_to_string(overlay.join("kustomization.yaml")).unwrap();
    assert!(kustomization.contains("#   - name: ghcr.io/acme/shop\n"), "the pin comment names the repository");
    let pin = format!("images:\n  - name: ghcr.io/acme/shop\n    digest: sha256:{pinned}\n");
    fs::write(overlay.join("kustomization.yaml"), format!("{kustomization}{pin}")).unwrap();
    assert!(kustomize(&overlay).contains(&format!("image: ghcr.io/acme/shop@sha256:{pinned}")));
    let base_build = kustomize(&dir.path().join("deploy/shop/base"));
    assert!(base_build.contains(&format!("image: ghcr.io/acme/shop:1.0.0@sha256:{base}")), "{base_build}");
    assert!(!base_build.contains("app.kubernetes.io/version"), "no label that an overlay's pin would make false");
}

/// Only a change of what the source generates can break an overlay: a `generate` that
/// changed nothing runs no `kubectl kustomize` (300 services took 140 s when every run built
/// every overlay); `check` builds an overlay again only when a file of its app changed since
/// it last built (the user's own edit included).
#[test]
fn overlays_are_built_again_only_when_their_inputs_changed() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let log = dir.path().join("kubectl.log");
    let kubectl = bin.join("kubectl");
    fs::write(&kubectl, format!("#!/bin/sh\necho \"$@\" >> {}\n", log.display())).unwrap();
    fs::set_permissions(&kubectl, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let cache = dir.path().join("cache");
    let builds = |command: &str| {
        let mut kuberpc = common::kuberpc_command(&[command, "shop.proto", "-I", ".", "--out", "deploy"], dir.path());
        let output = kuberpc.env("PATH", &path).env(kuberpc_codegen::CACHE_DIR_ENV, &cache).output().unwrap();
        assert!(output.status.success(), "{command}: {}", text(&output));
        fs::read_to_string(&log).unwrap_or_default().lines().count()
    };
    write_proto(dir.path(), "autoscale { min: 2 max: 6 }");
    let first = builds("generate");
    assert!(first > 0, "the first run built no overlay");
    assert_eq!(builds("generate"), first, "an unchanged generate built overlays");
    assert_eq!(builds("check"), first, "an unchanged check built overlays");
    let overlay = dir.path().join("deploy/shop/overlays/prod/kustomization.yaml");
    fs::write(&overlay, format!("{}# mine\n", fs::read_to_string(&overlay).unwrap())).unwrap();
    assert_eq!(builds("check"), first + 1, "check must build the overlay the user changed, and only it");
}
