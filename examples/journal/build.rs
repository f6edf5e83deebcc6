//! Generates the journal stubs into OUT_DIR and the kustomize tree into `deploy/`.

fn main() -> Result<(), kuberpc_codegen::Error> {
    kuberpc_codegen::configure().manifests_dir("deploy").compile_protos(&["proto/journal/v1/journal.proto"], &["proto"])
}
