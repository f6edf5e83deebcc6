//! A crate that used tonic-prost-build switches to kuberpc-codegen by changing the builder
//! call and nothing else: with the same `extern_path`, `type_attribute`, `field_attribute`,
//! `btree_map`, `bytes`, `include_file` and `file_descriptor_set_path`, the stubs are byte for byte what
//! `tonic_prost_build::configure()…compile_protos(..)` writes, plus the `<service>_deploy`
//! module at the end of the package that declares the service.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use prost::Message as _;

fn fixture() -> std::path::PathBuf {
    common::repo_root().join("codegen/tests/fixtures/switch")
}

/// The `.rs` files of a directory, by name.
fn rust_files(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), fs::read_to_string(&p).unwrap()))
        .collect()
}

/// What the crate's build script did before: tonic-prost-build's `compile_protos`. protoc
/// is not needed (nor on this machine): the descriptor set it would have produced comes from
/// protox, handed over with `skip_protoc_run`, which prost-build documents for exactly this.
fn with_tonic_prost_build(out: &Path) {
    let protos = [fixture().join("shop/v1/shop.proto")];
    let fds = protox::compile(&protos, [fixture()]).unwrap();
    let fds_path = out.join("fds.bin");
    fs::write(&fds_path, fds.encode_to_vec()).unwrap();
    tonic_prost_build::configure()
        .out_dir(out)
        .skip_protoc_run()
        .file_descriptor_set_path(&fds_path) // also where a crate with reflection keeps it
        .extern_path(".money.v1", "::money::v1")
        .type_attribute(".shop.v1.Item", "#[derive(Eq, Hash)]")
        .field_attribute(".shop.v1.GetRequest.id", "#[allow(dead_code)]")
        .btree_map(".shop.v1.Item.tags")
        .bytes(".shop.v1.Item.Photo.data")
        .include_file("mod.rs")
        .compile_protos(&protos, &[fixture()])
        .unwrap();
}

/// The same crate after the switch.
fn with_kuberpc(out: &Path, deploy: &Path) {
    kuberpc_codegen::configure()
        .out_dir(out)
        .manifests_dir(deploy)
        .emit_rerun_if_changed(false)
        .extern_path(".money.v1", "::money::v1")
        .type_attribute(".shop.v1.Item", "#[derive(Eq, Hash)]")
        .field_attribute(".shop.v1.GetRequest.id", "#[allow(dead_code)]")
        .btree_map(".shop.v1.Item.tags")
        .bytes(".shop.v1.Item.Photo.data")
        .include_file("mod.rs")
        .file_descriptor_set_path(out.join("fds.bin"))
        .compile_protos(&[fixture().join("shop/v1/shop.proto")], &[fixture()])
        .unwrap();
}

#[test]
fn stubs_are_byte_identical_apart_from_the_deploy_module() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after, deploy) = (dir.path().join("tonic"), dir.path().join("kuberpc"), dir.path().join("deploy"));
    fs::create_dir_all(&before).unwrap();
    with_tonic_prost_build(&before);
    with_kuberpc(&after, &deploy);

    let (tonic, kuberpc) = (rust_files(&before), rust_files(&after));
    assert_eq!(tonic.keys().collect::<Vec<_>>(), ["mod.rs", "shop.v1.rs"], "extern packages are not generated");
    let tonic_stubs = &tonic["shop.v1.rs"];
    assert!(tonic_stubs.contains("#[derive(Eq, Hash)]") && tonic_stubs.contains("::money::v1::Money"));

    let kuberpc_stubs = &kuberpc["shop.v1.rs"];
    let added = kuberpc_stubs.strip_prefix(tonic_stubs.as_str()).unwrap_or_else(|| {
        let at = tonic_stubs.bytes().zip(kuberpc_stubs.bytes()).position(|(a, b)| a != b).unwrap_or(0);
        panic!("the stubs differ at byte {at}:\ntonic: {}\nkuberpc: {}", &tonic_stubs[at..], &kuberpc_stubs[at..])
    });
    assert!(added.starts_with("\n/// Deployment facts of `shop.v1.Shop`"), "only the deploy module is added: {added}");
    assert_eq!(added.matches("pub mod ").collect::<Vec<_>>().len(), 1, "{added}");
    assert!(added.contains("pub mod shop_deploy {"), "{added}");

    // The include file names the same modules (kuberpc's is relative, so it works from any
    // directory, and carries kuberpc's header).
    let tree = |text: &str| {
        text.lines()
            .skip(1)
            .map(|l| l.replace("concat!(env!(\"OUT_DIR\"), \"/", "\"").replace("\"));", "\");"))
            .collect::<Vec<_>>()
    };
    assert_eq!(tree(&kuberpc["mod.rs"]), tree(&tonic["mod.rs"]));
    assert!(deploy.join("shop/base/deployment.yaml").is_file(), "and the manifests come along");

    // The descriptor set a reflection service reads is the one the crate had.
    assert_eq!(fs::read(after.join("fds.bin")).unwrap(), fs::read(before.join("fds.bin")).unwrap());
}
