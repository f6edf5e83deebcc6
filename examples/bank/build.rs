//! Generates the bank's stubs into OUT_DIR and the kustomize trees of both services (the
//! teller and the vault, one proto) into `deploy/`.

fn main() -> Result<(), kuberpc_codegen::Error> {
    kuberpc_codegen::configure().manifests_dir("deploy").compile_protos(&["proto/bank/v1/bank.proto"], &["proto"])
}
