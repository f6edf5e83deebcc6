//! Generates the greeter stubs into OUT_DIR and the kustomize tree into `deploy/`. The front's
//! proto (emitted from its trait) is a peer: it calls the greeter, so the greeter's
//! NetworkPolicy admits the front's pods.

fn main() -> Result<(), kuberpc_codegen::Error> {
    kuberpc_codegen::configure()
        .manifests_dir("deploy")
        .peers(&["../front/proto/front/v1/front.proto"], &["../front/proto"])
        .compile_protos(&["proto/greeter/v1/greeter.proto"], &["proto"])
}
