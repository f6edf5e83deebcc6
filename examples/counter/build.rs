//! Writes `deploy/counter` and `proto/counter/v1/counter.proto` from the `#[rpc_service]`
//! trait in `src/api.rs` (its server and client come from the macro itself).

fn main() -> Result<(), kuberpc_codegen::Error> {
    kuberpc_codegen::configure().manifests_dir("deploy").compile_rust(&["src/api.rs"])
}
