//! `deploy/<app>/Dockerfile`: the image the manifests run, from the same options — a cargo build
//! stage and a runtime stage holding only the server binary, running as the pod's user
//! ([`POD_USER`], which the pod's securityContext names too) and exposing the service's port.
//! Nothing in it needs a shell at run time (the preStop hook is the kubelet's own `sleep`), so
//! a distroless runtime image works. Beside it, `Dockerfile.dockerignore` (BuildKit reads a
//! `<Dockerfile>.dockerignore` next to the Dockerfile) is seeded once and then the user's.

use crate::model::Service;

/// The numeric user and group of the pod (securityContext) and of the image (`USER`).
pub(crate) const POD_USER: u32 = 10001;
/// The file name in `deploy/<app>/`.
pub(crate) const FILE: &str = "Dockerfile";
/// The ignore file BuildKit pairs with it.
pub(crate) const IGNORE_FILE: &str = "Dockerfile.dockerignore";

/// The Dockerfile's text after the generated header.
pub(crate) fn dockerfile(service: &Service) -> String {
    let deploy = &service.deploy;
    let build = &deploy.container;
    let (app, image, port, binary) = (&deploy.app, &deploy.image, deploy.port, &build.binary);
    let package = build.package.as_ref().map_or(String::new(), |package| format!("-p {package} "));
    format!(
        r#"# The image of {app}. From the crate (or workspace) root, with BuildKit:
#   docker build -f deploy/{app}/Dockerfile -t {image} .
# The build stage runs `cargo build {package}--bin {binary}`; the runtime stage holds that binary
# only, as the pod's user. Base images are build arguments (`--build-arg RUNTIME_IMAGE=…@sha256:…`).
ARG BUILDER_IMAGE={builder}
ARG RUNTIME_IMAGE={runtime}

FROM ${{BUILDER_IMAGE}} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked {package}--bin {binary} \
    && cp /src/target/release/{binary} /usr/local/bin/{binary}

FROM ${{RUNTIME_IMAGE}}
COPY --from=build /usr/local/bin/{binary} /usr/local/bin/{binary}
USER {POD_USER}:{POD_USER}
EXPOSE {port}
ENTRYPOINT ["/usr/local/bin/{binary}"]
"#,
        builder = build.builder_image,
        runtime = build.runtime_image,
    )
}

/// The seeded ignore file: what never belongs in the build context.
pub(crate) fn dockerignore() -> String {
    "# Seeded once by kuberpc; yours to edit. Keeps the build context small and free of secrets.\n\
     target/\n.git/\n**/*.pem\n**/*.key\n.env\n"
        .to_string()
}
