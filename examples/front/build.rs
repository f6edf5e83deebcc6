//! Writes `deploy/front` and `proto/front/v1/front.proto` from the `#[rpc_service]` trait in
//! `src/api.rs`; the greeter's and the journal's protos are its peers, the services it calls.

fn main() -> Result<(), kuberpc_codegen::Error> {
    kuberpc_codegen::configure()
        .manifests_dir("deploy")
        .peers(
            &["../greeter/proto/greeter/v1/greeter.proto", "../journal/proto/journal/v1/journal.proto"],
            &["../greeter/proto", "../journal/proto"],
        )
        .compile_rust(&["src/api.rs"])
}
