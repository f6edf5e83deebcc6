//! Stubs into OUT_DIR; `deploy/{{name}}/` (manifests and Dockerfile) from the proto's options.

fn main() -> Result<(), kuberpc_codegen::Error> {
    kuberpc_codegen::configure().manifests_dir("deploy").compile_protos(&["proto/{{lib}}/v1/{{lib}}.proto"], &["proto"])
}
