//! `kuberpc new <name> [--trait] [--path DIR]`: a crate that builds, serves, calls and tests as
//! generated — Cargo.toml, the annotated API (a `.proto`, or `src/api.rs` with
//! `#[rpc_service]`), build.rs, a server and a client binary, a test over 127.0.0.1, a test
//! that the API still serves the callers of its last committed version, and a README; the proto
//! kind also a REST binding, its test and a page calling it (`web/`); the first `cargo build`
//! adds `deploy/<name>/` (manifests and Dockerfile).
//!
//! The kuberpc crates are named by path when this binary was built from a checkout that still
//! exists (and by version otherwise). A directory that exists and is not empty is refused:
//! nothing of the user's is ever overwritten.

use std::path::{Path, PathBuf};

use kuberpc_codegen::{Error, Problem};

/// Versions the scaffold's dependencies take (the workspace's).
const DEPENDENCIES: &str = r#"prost = "0.14"
tonic = "0.14"
tonic-prost = "0.14"
tokio = { version = "1", features = ["macros", "rt-multi-thread", "net", "io-util"] }"#;

const PROTO_FILES: &[(&str, &str)] = &[
    ("proto/{{lib}}/v1/{{lib}}.proto", include_str!("new/proto/api.proto")),
    ("build.rs", include_str!("new/proto/build.rs")),
    ("src/lib.rs", include_str!("new/proto/lib.rs")),
    ("tests/rest.rs", include_str!("new/proto/rest.rs")),
    ("web/index.html", include_str!("new/proto/index.html")),
];

const TRAIT_FILES: &[(&str, &str)] = &[
    ("src/api.rs", include_str!("new/trait/api.rs")),
    ("build.rs", include_str!("new/trait/build.rs")),
    ("src/lib.rs", include_str!("new/trait/lib.rs")),
];

const COMMON_FILES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("new/Cargo.toml.in")),
    ("src/bin/server.rs", include_str!("new/server.rs")),
    ("src/bin/client.rs", include_str!("new/client.rs")),
    ("tests/call.rs", include_str!("new/call.rs")),
    ("tests/compatible.rs", include_str!("new/compatible.rs")),
    ("README.md", include_str!("new/README.md")),
    (".gitignore", "/target\n"),
];

/// The README's lines on the proto kind's REST binding and page.
const REST_README: &str = "\nSayHello is also REST (`google.api.http` in the proto): `curl \
http://127.0.0.1:50051/v1/hello/kuberpc` answers `{\"message\":\"Hello kuberpc!\"}`, and \
`base/openapi.json` describes it. `web/index.html` calls it from a page: `python3 -m http.server \
-d web 8000`, then open http://localhost:8000/?server=http://127.0.0.1:50051 (the proto's `web` \
admits that origin).\n";

/// Writes the crate `name` into `dir` (default `./<name>`); returns the files written.
pub(crate) fn scaffold(name: &str, trait_first: bool, dir: Option<&Path>) -> Result<Vec<PathBuf>, Error> {
    check_name(name)?;
    let dir = dir.map_or_else(|| PathBuf::from(name), Path::to_path_buf);
    let occupied = std::fs::read_dir(&dir).map(|mut entries| entries.next().is_some()).unwrap_or(false);
    if occupied {
        return Err(Problem::new(format!(
            "{} exists and is not empty: kuberpc new writes only into a new directory",
            dir.display()
        ))
        .into());
    }
    let words = Words::new(name, trait_first);
    let front = if trait_first { TRAIT_FILES } else { PROTO_FILES };
    let mut written = Vec::new();
    for (path, text) in front.iter().chain(COMMON_FILES) {
        let path = dir.join(words.fill(path));
        let io = |e: std::io::Error| Problem::new(format!("cannot write {}: {e}", path.display()));
        std::fs::create_dir_all(path.parent().unwrap_or(&dir)).map_err(io)?;
        std::fs::write(&path, words.fill(text)).map_err(io)?;
        written.push(path);
    }
    Ok(written)
}

/// Rust keywords (strict, reserved and 2024's `gen`): the crate's library and its modules are
/// named after the crate.
const RUST_KEYWORDS: [&str; 52] = [
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in",
    "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait",
    "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do",
    "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen", "union",
];

/// Crates the scaffold depends on or that Rust provides: a crate of that name would shadow
/// them (or, for `kuberpc`, depend on itself).
const TAKEN_CRATE_NAMES: [&str; 10] =
    ["kuberpc", "core", "std", "alloc", "test", "proc_macro", "tonic", "prost", "tokio", "tonic_prost"];

/// A crate name that is also a DNS label (the app, its Services and `deploy/<name>/`) and
/// whose library name (`-` → `_`) is a Rust identifier no keyword or dependency takes.
fn check_name(name: &str) -> Result<(), Error> {
    let label = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let ok = name.len() <= 40 && name.starts_with(|c: char| c.is_ascii_lowercase()) && !name.ends_with('-');
    if !(ok && name.chars().all(label)) {
        return Err(Problem::new(format!(
            "{name:?} cannot name the crate and its Kubernetes app: use lower-case letters, digits and '-', \
             starting with a letter (at most 40 characters)"
        ))
        .into());
    }
    let lib = name.replace('-', "_");
    if RUST_KEYWORDS.contains(&lib.as_str()) {
        return Err(Problem::new(format!("{name:?} is a Rust keyword: the crate's library could not be named")).into());
    }
    if TAKEN_CRATE_NAMES.contains(&lib.as_str()) {
        let message = format!("{name:?} is the name of a crate the new crate uses or Rust provides: choose another");
        return Err(Problem::new(message).into());
    }
    Ok(())
}

/// The names the templates use, from the crate name `demo-shop`.
struct Words {
    pairs: Vec<(&'static str, String)>,
}

impl Words {
    fn new(name: &str, trait_first: bool) -> Self {
        let lib = name.replace('-', "_");
        let service: String = name
            .split('-')
            .map(|part| {
                let mut chars = part.chars();
                chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
            })
            .collect();
        // Where the generated client type lives: tonic's module, or beside the trait.
        let client = match trait_first {
            true => format!("{service}Client"),
            false => format!("{lib}_client::{service}Client"),
        };
        Self {
            pairs: vec![
                ("{{Client}}", client),
                ("{{name}}", name.to_string()),
                ("{{lib}}", lib.clone()),
                ("{{Service}}", service),
                ("{{service}}", lib),
                ("{{kuberpc}}", kuberpc_dependencies()),
                ("{{rest}}", if trait_first { String::new() } else { REST_README.to_string() }),
            ],
        }
    }

    fn fill(&self, text: &str) -> String {
        self.pairs.iter().fold(text.to_string(), |text, (key, value)| text.replace(key, value))
    }
}

/// The kuberpc dependency lines: by path into the checkout this binary was built from, if it
/// is still there; by version otherwise.
fn kuberpc_dependencies() -> String {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf);
    let checkout =
        checkout.filter(|root| root.join("src/lib.rs").is_file() && root.join("codegen/Cargo.toml").is_file());
    let line = |name: &str, sub: &str| match &checkout {
        Some(root) => {
            let dir = if sub.is_empty() { root.clone() } else { root.join(sub) };
            format!("{name} = {{ version = \"0.1\", path = {:?} }}", dir.display().to_string())
        }
        None => format!("{name} = \"0.1\""),
    };
    let codegen = line("kuberpc-codegen", "codegen");
    format!(
        "[dependencies]\n{}\n{DEPENDENCIES}\n\n[dev-dependencies]\n{codegen}\n\n[build-dependencies]\n{codegen}",
        line("kuberpc", ""),
    )
}
