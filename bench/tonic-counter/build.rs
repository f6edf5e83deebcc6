//! The baseline's stubs, as plain tonic builds them: tonic-prost-build on the hand-written
//! equivalent of the counter trait (protox stands in for protoc only to parse).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "../../codegen/tests/fixtures/counter/v1/counter.proto";
    println!("cargo:rerun-if-changed={proto}");
    let fds = protox::compile([proto], ["../../codegen/tests/fixtures", "../../proto"])?;
    tonic_prost_build::configure().compile_fds(fds)?;
    Ok(())
}
