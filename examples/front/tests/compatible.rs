//! front.proto against the record of it last committed (`HEAD`; every build rewrites the one on
//! disk): a change that would break a caller of the committed version fails here until it is
//! made safe or accepted on purpose in the proto (`// kuberpc:accept RULE why`).

use std::path::Path;

use kuberpc_codegen::breaking::{check_committed, Category, Sources};

#[test]
fn front_proto_keeps_the_committed_callers_working() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (protos, includes) = ([dir.join("proto/front/v1/front.proto")], [dir.join("proto")]);
    let sources = Sources { protos: &protos, includes: &includes, peers: &[] };
    let checked = check_committed(dir, "deploy/front/base/descriptor.json", sources, &[Category::WireJson]).unwrap();
    assert!(checked.breaking.is_empty(), "against deploy/front/base/descriptor.json: {:#?}", checked.breaking);
}
