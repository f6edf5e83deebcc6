//! The baseline: the greeter's stubs as a team using plain tonic builds them —
//! tonic-prost-build on the same proto, no kuberpc code generation (protox stands in for
//! protoc only to parse).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "../examples/greeter/proto/greeter/v1/greeter.proto";
    println!("cargo:rerun-if-changed={proto}");
    let fds = protox::compile([proto], ["../examples/greeter/proto", "../proto"])?;
    tonic_prost_build::configure().compile_fds(fds)?;
    Ok(())
}
