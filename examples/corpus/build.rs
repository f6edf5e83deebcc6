//! Compiles the corpus protos; their manifests go to OUT_DIR (this example owns no deploy/).

fn main() -> Result<(), kuberpc_codegen::Error> {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    kuberpc_codegen::configure()
        .manifests_dir(format!("{out_dir}/deploy"))
        .compile_protos(&["proto/routeguide/route_guide.proto", "proto/grpc/testing/test.proto"], &["proto"])
}
