//! Compiles the annotation vocabulary (`proto/kuberpc/v1/options.proto`) into the facade's
//! `kuberpc::options` module, with protox: no `protoc` is needed anywhere.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    const OPTIONS: &str = "proto/kuberpc/v1/options.proto";
    println!("cargo:rerun-if-changed={OPTIONS}");
    let fds = protox::compile([OPTIONS], ["proto"])?;
    prost_build::Config::new().compile_fds(fds)?;
    Ok(())
}
