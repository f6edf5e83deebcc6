//! The API against the record of it last committed (`deploy/{{name}}/base/descriptor.json` at
//! `HEAD`; every build rewrites the one on disk): a change that would break a caller of the
//! committed version fails here, located in the proto, until it is made safe or accepted on
//! purpose (`kuberpc:accept RULE why` in the comment of the element that changed). Before the
//! first commit there is no caller to break. CI can check against the main branch instead:
//! `kuberpc check proto/{{lib}}/v1/{{lib}}.proto -I proto --against origin/main`.

use std::path::Path;

use kuberpc_codegen::breaking::{check_committed, Category, Sources};

#[test]
fn the_api_keeps_the_committed_callers_working() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (protos, includes) = ([dir.join("proto/{{lib}}/v1/{{lib}}.proto")], [dir.join("proto")]);
    let sources = Sources { protos: &protos, includes: &includes, peers: &[] };
    let record = "deploy/{{name}}/base/descriptor.json";
    let checked = check_committed(dir, record, sources, &[Category::WireJson]).unwrap();
    checked.remarks().iter().for_each(|line| println!("{line}"));
    let found: Vec<String> = checked.breaking.iter().map(|p| format!("{p:?}")).collect();
    assert!(found.is_empty(), "breaks callers of the committed API:\n{}", found.join("\n"));
}
