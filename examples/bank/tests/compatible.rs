//! bank.proto against the record of it last committed (`HEAD`; every build rewrites the one on
//! disk): a change that would break a caller of the committed version fails here until it is
//! made safe or accepted on purpose in the proto (`// kuberpc:accept RULE why`).

use std::path::Path;

use kuberpc_codegen::breaking::{check_committed, Category, Sources};

#[test]
fn bank_proto_keeps_the_committed_callers_working() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (protos, includes) = ([dir.join("proto/bank/v1/bank.proto")], [dir.join("proto")]);
    let sources = Sources { protos: &protos, includes: &includes, peers: &[] };
    let checked = check_committed(dir, "deploy/teller/base/descriptor.json", sources, &[Category::WireJson]).unwrap();
    assert!(checked.breaking.is_empty(), "against deploy/teller/base/descriptor.json: {:#?}", checked.breaking);
    let checked = check_committed(dir, "deploy/vault/base/descriptor.json", sources, &[Category::WireJson]).unwrap();
    assert!(checked.breaking.is_empty(), "against deploy/vault/base/descriptor.json: {:#?}", checked.breaking);
}
