//! Compiles every corpus proto (and kuberpc's own well-known-type cases) in one run; their
//! manifests go to OUT_DIR (this example owns no deploy/). The stubs compile as one module
//! tree through `kuberpc::include_protos!()`.

const PROTOS: &[&str] = &[
    "proto/routeguide/route_guide.proto",
    "proto/grpc/testing/test.proto",
    "proto/grpc/examples/helloworld.proto",
    "proto/grpc/health/v1/health.proto",
    "proto/grpc/channelz/v1/channelz.proto",
    "proto/grpc/lb/v1/load_balancer.proto",
    "proto/grpc/lookup/v1/rls.proto",
    "proto/grpc/lookup/v1/rls_config.proto",
    "proto/k8s/cri/v1/api.proto",
    "proto/wkt/v1/clock.proto",
];

fn main() -> Result<(), kuberpc_codegen::Error> {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    kuberpc_codegen::configure().manifests_dir(format!("{out_dir}/deploy")).compile_protos(PROTOS, &["proto"])
}
