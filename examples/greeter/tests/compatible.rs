//! greeter.proto against the record of it that was last committed
//! (`deploy/greeter/base/descriptor.json` at `HEAD`, which every build rewrites): a change that
//! would break a caller of the committed greeter fails here until it is made safe or accepted
//! on purpose in the proto (`// kuberpc:accept RULE why`). The same check as `kuberpc check
//! --against`, WIRE_JSON rules.

use std::path::{Path, PathBuf};

use kuberpc_codegen::breaking::{check, Against, Category, Sources};

#[test]
fn greeter_proto_keeps_the_committed_callers_working() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let against = Against::committed_record(crate_dir, "deploy/greeter/base/descriptor.json", "HEAD").unwrap();
    let against = against.expect("the greeter's record is committed");
    let protos = [crate_dir.join("proto/greeter/v1/greeter.proto")];
    let includes = [crate_dir.join("proto")];
    let sources = Sources { protos: &protos, includes: &includes, peers: &[] as &[PathBuf] };
    let checked = check(sources, &against, &[Category::WireJson]).unwrap();
    let found: Vec<String> = checked.breaking.iter().map(|p| p.to_string()).collect();
    assert!(found.is_empty(), "greeter.proto breaks callers of the committed greeter:\n{}", found.join("\n"));

    // The check can fail: the same proto with SayHello's request changed is refused.
    let changed = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&protos[0]).unwrap().replacen("string name = 1;", "int64 name = 1;", 1);
    std::fs::create_dir_all(changed.path().join("greeter/v1")).unwrap();
    std::fs::write(changed.path().join("greeter/v1/greeter.proto"), text).unwrap();
    let protos = [changed.path().join("greeter/v1/greeter.proto")];
    let includes = [changed.path().to_path_buf()];
    let sources = Sources { protos: &protos, includes: &includes, peers: &[] as &[PathBuf] };
    let checked = check(sources, &against, &[Category::WireJson]).unwrap();
    assert!(
        checked.breaking.iter().any(|p| p.message().starts_with("FIELD_WIRE_JSON_COMPATIBLE_TYPE")),
        "{:?}",
        checked.breaking
    );
}
