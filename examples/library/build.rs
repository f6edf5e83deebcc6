//! Compiles googleapis' library example (with the `google/api` protos it imports) and
//! kuberpc's own `wkt/v1/echo.proto` in one run; their manifests go to OUT_DIR (this example
//! owns no deploy/). The stubs compile as one module tree through `kuberpc::include_protos!()`.

const PROTOS: &[&str] = &["proto/google/example/library/v1/library.proto", "proto/wkt/v1/echo.proto"];

fn main() -> Result<(), kuberpc_codegen::Error> {
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    kuberpc_codegen::configure().manifests_dir(format!("{out_dir}/deploy")).compile_protos(PROTOS, &["proto"])
}
