//! Build scripts stay out of a source tree they must not touch: a read-only one, or any when
//! `KUBERPC_NO_WRITE` is set — the build still succeeds, with the manifests under
//! `$OUT_DIR/kuberpc/`. One test (it sets process environment variables, as cargo does for a
//! build script), in a binary of its own.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// A copy of the greeter's proto tree in `dir/src`, and the build script's run from there.
fn compile(dir: &Path) -> Result<(), kuberpc_codegen::Error> {
    let proto = dir.join("src/proto");
    if !proto.exists() {
        fs::create_dir_all(proto.join("greeter/v1")).unwrap();
        let source = fs::read(common::repo_root().join("examples/greeter/proto/greeter/v1/greeter.proto")).unwrap();
        fs::write(proto.join("greeter/v1/greeter.proto"), source).unwrap();
    }
    std::env::set_var("OUT_DIR", dir.join("out"));
    kuberpc_codegen::configure()
        .emit_rerun_if_changed(false)
        .manifests_dir(dir.join("src/deploy"))
        .compile_protos(&[proto.join("greeter/v1/greeter.proto")], &[proto])
}

#[test]
fn a_read_only_or_no_write_source_tree_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let manifests_in_out = dir.path().join("out/kuberpc/deploy/greeter/base/deployment.yaml");

    // Read-only source tree: nothing written there, the manifests land in OUT_DIR.
    compile(dir.path()).unwrap_or_else(|e| panic!("first run: {e}"));
    fs::remove_dir_all(src.join("deploy")).unwrap();
    fs::remove_dir_all(dir.path().join("out")).unwrap();
    fs::set_permissions(&src, fs::Permissions::from_mode(0o555)).unwrap();
    let files = |dir: &Path| common::tree(dir).into_keys().collect::<Vec<_>>();
    let before = files(&src);
    let result = compile(dir.path());
    fs::set_permissions(&src, fs::Permissions::from_mode(0o755)).unwrap();
    result.unwrap_or_else(|e| panic!("read-only source: {e}"));
    assert_eq!(files(&src), before, "the read-only tree is untouched");
    assert!(!src.join("deploy").exists());
    assert!(manifests_in_out.is_file(), "the manifests are kept in OUT_DIR");

    // KUBERPC_NO_WRITE on a writable tree: the same.
    fs::remove_dir_all(dir.path().join("out")).unwrap();
    std::env::set_var(kuberpc_codegen::NO_WRITE_ENV, "1");
    let result = compile(dir.path());
    std::env::remove_var(kuberpc_codegen::NO_WRITE_ENV);
    result.unwrap();
    assert!(!src.join("deploy").exists(), "KUBERPC_NO_WRITE keeps the tree clean");
    assert!(manifests_in_out.is_file());

    // Otherwise the build writes its own tree, as the examples rely on.
    compile(dir.path()).unwrap();
    assert!(src.join("deploy/greeter/base/deployment.yaml").is_file());
}
