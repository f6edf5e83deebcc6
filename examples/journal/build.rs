//! Generates the journal stubs into OUT_DIR and the kustomize tree into `deploy/`. The front's
//! proto (emitted from its trait) is a peer: it calls the journal, so the journal's
//! NetworkPolicy admits the front's pods.

fn main() -> Result<(), kuberpc_codegen::Error> {
    kuberpc_codegen::configure()
        .manifests_dir("deploy")
        .peers(&["../front/proto/front/v1/front.proto"], &["../front/proto"])
        .compile_protos(&["proto/journal/v1/journal.proto"], &["proto"])
}
