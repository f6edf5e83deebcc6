//! What the hostile-string checks share (`tests/hostile.rs` and the `hostile_strings` fuzz
//! target, which includes this file): where a string goes in a service's options, a plain
//! value for each place, hostile fragments, and the SHAPE of an output — its documents, keys,
//! list lengths, instructions or tokens, with the values left out — which a hostile value
//! must not change.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::Path;

/// Every output's shape: YAML documents with their keys and list lengths (values left out),
/// JSON likewise, Dockerfile instructions, Rust token kinds, and how many comment lines each
/// file has (a header must stay one line).
/// `keys` are the value under test and its plain twin: a map key equal to either (a key the
/// user wrote, as in `node_selector`) is shown as `<key>` — in both runs alike, so a value
/// that happens to be a fixed key (`volumes`) masks that key in both — while a key the value
/// ADDS still changes the shape.
pub fn shape(path: &Path, content: &[u8], keys: &[&str]) -> String {
    // A descriptor set is bytes: a length that happens to be b'#' after a b'\n' is no comment.
    if path.extension().is_some_and(|e| e == "bin") {
        return "binary".to_string();
    }
    let text = String::from_utf8_lossy(content);
    let comments = text.lines().filter(|l| l.trim_start().starts_with('#') || l.starts_with("//")).count();
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let body = match extension {
        "yaml" | "yml" => {
            use serde::Deserialize;
            let documents: Result<Vec<String>, String> = serde_yaml::Deserializer::from_str(&text)
                .map(|d| serde_yaml::Value::deserialize(d).map(|v| yaml_shape(&v, keys)).map_err(|e| e.to_string()))
                .collect();
            documents.map(|d| d.join("\n---\n")).unwrap_or_else(|e| format!("unparseable: {e}"))
        }
        "json" => serde_json::from_str::<serde_json::Value>(&text)
            .map(|v| yaml_shape(&serde_yaml::to_value(v).unwrap(), keys))
            .unwrap_or_else(|e| format!("unparseable: {e}")),
        "rs" => syn::parse_file(&text)
            .map(|file| token_kinds(quote::quote!(#file)))
            .unwrap_or_else(|e| format!("unparseable: {e}")),
        _ if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("Dockerfile")) => text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty() && !l.starts_with(' '))
            .map(|l| l.split_whitespace().next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(" "),
        _ => "other".to_string(),
    };
    format!("{comments} comment lines\n{body}")
}

fn yaml_shape(value: &serde_yaml::Value, keys: &[&str]) -> String {
    match value {
        serde_yaml::Value::Mapping(map) => {
            // Sorted after masking: the user's key sorts among the others by its value.
            let mut entries: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    let name = match k.as_str() {
                        Some(name) if keys.contains(&name) => "<key>".to_string(),
                        Some(name) => name.to_string(),
                        None => format!("{k:?}"),
                    };
                    format!("{name}: {}", yaml_shape(v, keys))
                })
                .collect();
            entries.sort();
            format!("{{{}}}", entries.join(", "))
        }
        serde_yaml::Value::Sequence(items) => {
            format!("[{}]", items.iter().map(|item| yaml_shape(item, keys)).collect::<Vec<_>>().join(", "))
        }
        serde_yaml::Value::Tagged(tagged) => format!("!{}", tagged.tag),
        serde_yaml::Value::String(_) => "s".into(),
        serde_yaml::Value::Number(_) => "n".into(),
        serde_yaml::Value::Bool(_) => "b".into(),
        serde_yaml::Value::Null => "~".into(),
    }
}

fn token_kinds(tokens: proc_macro2::TokenStream) -> String {
    tokens
        .into_iter()
        .map(|token| match token {
            proc_macro2::TokenTree::Group(group) => format!("({})", token_kinds(group.stream())),
            proc_macro2::TokenTree::Literal(_) => "L".into(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where a string goes, `{}` standing for the literal (every string option of the
/// service, each in a context that makes the rest valid).
pub const SLOTS: &[(&str, &str)] = &[
    ("name", "name: {}"),
    ("image", "image: {}"),
    ("workload", "workload: {}"),
    ("args", "args: [{}]"),
    ("secret_env", "secret_env: [{}]"),
    ("env.key", "env { key: {} value: \"v\" }"),
    ("env.value", "env { key: \"K\" value: {} }"),
    ("pod_annotations.key", "pod_annotations { key: {} value: \"v\" }"),
    ("pod_annotations.value", "pod_annotations { key: \"example.com/a\" value: {} }"),
    ("resources.cpu", "resources { cpu: {} }"),
    ("resources.memory", "resources { memory: {} }"),
    ("resources.cpu_limit", "resources { cpu_limit: {} }"),
    ("resources.memory_limit", "resources { memory_limit: {} }"),
    ("ingress.host", "ingress { host: {} }"),
    ("ingress.tls_secret", "ingress { host: \"a.example.com\" tls_secret: {} }"),
    ("ingress.class_name", "ingress { host: \"a.example.com\" class_name: {} }"),
    ("ingress.path", "ingress { host: \"a.example.com\" path: {} }"),
    ("ingress.controller_namespace", "ingress { host: \"a.example.com\" controller_namespace: {} }"),
    ("storage.size", "storage { size: {} }"),
    ("storage.mount_path", "storage { size: \"1Gi\" mount_path: {} }"),
    ("storage.storage_class", "storage { size: \"1Gi\" storage_class: {} }"),
    ("storage.access_mode", "storage { size: \"1Gi\" access_mode: {} }"),
    ("gateway.parent", "gateway { parent: {} }"),
    ("gateway.hostnames", "gateway { parent: \"gw\" hostnames: [{}] }"),
    ("gateway.controller_namespace", "gateway { parent: \"gw\" controller_namespace: {} }"),
    ("scheduling.priority_class", "scheduling { priority_class: {} }"),
    ("scheduling.tolerations", "scheduling { tolerations: [{}] }"),
    ("scheduling.node_selector.key", "scheduling { node_selector { key: {} value: \"v\" } }"),
    ("scheduling.node_selector.value", "scheduling { node_selector { key: \"k\" value: {} } }"),
    ("secret_volumes.name", "secret_volumes { name: {} mount_path: \"/keys\" }"),
    ("calls.service", "calls { service: {} }"),
    ("calls.methods", "calls { service: \"stock\" methods: [{}] }"),
    ("mtls.trust_domain", "mtls { trust_domain: {} }"),
    ("web.origins", "web { origins: [{}] }"),
    ("environments.web_origins", "web { } environments { name: \"dev\" web_origins: [{}] }"),
    ("mtls.issuer.kind", "mtls { issuer { kind: {} } }"),
    ("mtls.issuer.name", "mtls { issuer { name: {} } }"),
    ("mtls.issuer.group", "mtls { issuer { group: {} } }"),
    ("secret_volumes.mount_path", "secret_volumes { name: \"keys\" mount_path: {} }"),
    ("container.binary", "container { binary: {} }"),
    ("container.package", "container { package: {} }"),
    ("container.rust_version", "container { rust_version: {} }"),
    ("container.builder_image", "container { builder_image: {} }"),
    ("container.runtime_image", "container { runtime_image: {} }"),
    ("observability.otlp_endpoint", "observability { otlp_endpoint: {} }"),
    ("observability.monitoring_namespace", "observability { monitoring_namespace: {} }"),
    ("environments.name", "environments { name: {} }"),
    ("environments.namespace", "environments { name: \"dev\" namespace: {} }"),
    (
        "environments.ingress_host",
        "ingress { host: \"a.example.com\" } environments { name: \"dev\" ingress_host: {} }",
    ),
    ("environments.resources.cpu", "environments { name: \"dev\" resources { cpu: {} } }"),
    ("environments.resources.memory", "environments { name: \"dev\" resources { memory: {} } }"),
    ("environments.resources.cpu_limit", "environments { name: \"dev\" resources { cpu_limit: {} } }"),
    ("environments.resources.memory_limit", "environments { name: \"dev\" resources { memory_limit: {} } }"),
];

/// A plain value each slot accepts (the twin the hostile run is compared with).
pub fn plain_value(slot: &str) -> &'static str {
    match slot {
        "image" | "container.builder_image" | "container.runtime_image" => "ghcr.io/acme/shop:1",
        "workload" => "Deployment",
        "resources.cpu" | "resources.cpu_limit" | "environments.resources.cpu" => "1",
        "resources.memory" | "resources.memory_limit" | "environments.resources.memory" => "1Gi",
        "environments.resources.cpu_limit" => "2",
        "environments.resources.memory_limit" => "2Gi",
        "storage.size" => "1Gi",
        "storage.mount_path" | "secret_volumes.mount_path" => "/plain",
        "storage.access_mode" => "ReadWriteOnce",
        "ingress.path" => "/plain",
        "ingress.host" | "environments.ingress_host" | "gateway.hostnames" => "plain.example.com",
        "container.rust_version" => "1.88",
        "observability.otlp_endpoint" => "http://plain:4317",
        "env.key" => "PLAIN",
        "pod_annotations.key" => "example.com/plain",
        "calls.service" => "stock",
        "calls.methods" => "Get",
        "mtls.trust_domain" => "plain.example",
        "web.origins" | "environments.web_origins" => "https://plain.example.com",
        "mtls.issuer.kind" => "Issuer",
        _ => "plain",
    }
}

/// The fragments hostile strings are made of: what ends or opens a line, a document, a
/// key, a comment, a template, an instruction or a path in some output.
pub const FRAGMENTS: &[&str] = &[
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\0",
    "\u{7}",
    "\u{1b}[2J",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{feff}",
    "---",
    "...",
    "# ",
    ": ",
    "- ",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "\\",
    "\\n",
    "{{x}}",
    "${X}",
    "$(id)",
    "`id`",
    "&a",
    "*a",
    "!!str ",
    "%TAG ",
    "|",
    ">",
    "@",
    "?",
    ",",
    "ARG X=1",
    "RUN id",
    "FROM evil",
    "images:",
    "newName: evil",
    "kind: Secret",
    "..",
    "/",
    "../",
    "/etc/passwd",
    " ",
    "é",
    "日本",
    "a",
    "z",
    "0",
    "9",
    "-",
    ".",
    "_",
    "plain",
    "example.com",
    "Gi",
    "m",
    "*.",
    "http://",
    ":4317",
];

/// xorshift64*: reproducible from its seed, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn hostile(&mut self) -> String {
        let len = 1 + self.below(8);
        (0..len).map(|_| FRAGMENTS[self.below(FRAGMENTS.len())]).collect()
    }
}

/// A protobuf text-format literal of `value`.
pub fn literal(value: &str) -> String {
    let mut out = String::from("\"");
    for byte in value.bytes() {
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(byte as char),
            _ => out.push_str(&format!("\\{byte:03o}")),
        }
    }
    out.push('"');
    out
}

pub fn proto(option: &str) -> String {
    format!(
        "syntax = \"proto3\";\npackage shop.v1;\nimport \"kuberpc/v1/options.proto\";\n\nservice Shop {{\n  \
         option (kuberpc.v1.service) = {{\n    {option}\n  }};\n  rpc Get(Req) returns (Resp);\n}}\n\n\
         service Stock {{\n  rpc Get(Req) returns (Resp);\n}}\n\n\
         message Req {{ string id = 1; }}\nmessage Resp {{ string id = 1; }}\n"
    )
}

/// The `(file name, .proto text)` of a case putting `value` in `slot` (with no slot: as the
/// file name, `/` and NUL replaced), and of its plain twin.
pub fn case_and_plain_twin(slot: Option<&(&str, &str)>, value: &str) -> ((String, String), (String, String)) {
    match slot {
        Some((name, template)) => (
            ("shop.proto".to_string(), proto(&template.replace("{}", &literal(value)))),
            ("shop.proto".to_string(), proto(&template.replace("{}", &literal(plain_value(name))))),
        ),
        None => ((value.replace(['/', '\0'], "_") + ".proto", proto("")), ("plain.proto".to_string(), proto(""))),
    }
}

/// Asserts that the outputs of a hostile run (`hostile`, shapes by path) are the plain twin's
/// files, each parsing and of the same shape; `describe` names the case.
pub fn assert_same_shapes<K: Ord + std::fmt::Debug>(
    describe: &str,
    hostile: &BTreeMap<K, String>,
    plain: &BTreeMap<K, String>,
) {
    assert_eq!(hostile.keys().collect::<Vec<_>>(), plain.keys().collect::<Vec<_>>(), "{describe}: other files");
    for (path, shape) in hostile {
        assert!(!shape.contains("unparseable"), "{describe}: {path:?} does not parse: {shape}");
        assert_eq!(shape, &plain[path], "{describe}: {path:?} changed shape");
    }
}
