//! `deploy/{{name}}/` (manifests and Dockerfile) and `proto/{{lib}}/v1/{{lib}}.proto` (for
//! clients in other languages) from the trait in `src/api.rs`.

fn main() -> Result<(), kuberpc_codegen::Error> {
    kuberpc_codegen::configure().manifests_dir("deploy").compile_rust(&["src/api.rs"])
}
