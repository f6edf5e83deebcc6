//! tonic stubs from the counter's EMITTED proto (`../proto`, written by the counter's build
//! script and checked fresh by CI), through the proto-first path; no manifests (the counter
//! already deploys this service).

fn main() -> Result<(), kuberpc_codegen::Error> {
    kuberpc_codegen::configure().manifests(false).compile_protos(&["../proto/counter/v1/counter.proto"], &["../proto"])
}
