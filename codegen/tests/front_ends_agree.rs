//! The same mistake gets the same words from both front ends: each case is written once as
//! `.proto` options and once as `#[rpc_service]`/`#[rpc]` attributes, run through
//! `Config::generate` and `Config::generate_rust_sources`, and the messages (and help) must be
//! equal, and point at the offending option in each source.

use kuberpc_codegen::{configure, Error};

/// A mistake in both languages: `(name, service option, method option)` as proto text and as
/// attribute text (empty: none).
struct Mistake {
    name: &'static str,
    proto_service: &'static str,
    proto_method: &'static str,
    trait_service: &'static str,
    trait_method: &'static str,
}

const MISTAKES: &[Mistake] = &[
    Mistake {
        name: "port out of range",
        proto_service: "port: 70000",
        proto_method: "",
        trait_service: "port = 70000",
        trait_method: "",
    },
    Mistake {
        name: "zero replicas",
        proto_service: "replicas: 0",
        proto_method: "",
        trait_service: "replicas = 0",
        trait_method: "",
    },
    Mistake {
        name: "upper-case image",
        proto_service: "image: \"ghcr.io/Acme/shop:1\"",
        proto_method: "",
        trait_service: "image = \"ghcr.io/Acme/shop:1\"",
        trait_method: "",
    },
    Mistake {
        name: "autoscale bounds",
        proto_service: "autoscale { min: 5 max: 2 }",
        proto_method: "",
        trait_service: "autoscale(min = 5, max = 2)",
        trait_method: "",
    },
    Mistake {
        name: "bad quantity",
        proto_service: "resources { cpu: \"lots\" }",
        proto_method: "",
        trait_service: "resources(cpu = \"lots\")",
        trait_method: "",
    },
    Mistake {
        name: "percent over 100",
        proto_service: "client { retry_budget_percent: 150 }",
        proto_method: "",
        trait_service: "client(retry_budget_percent = 150)",
        trait_method: "",
    },
    Mistake {
        name: "container binary",
        proto_service: "container { binary: \"my server\" }",
        proto_method: "",
        trait_service: "container(binary = \"my server\")",
        trait_method: "",
    },
    Mistake {
        name: "hedge without idempotent",
        proto_service: "",
        proto_method: "timeout_ms: 500 hedge_delay_ms: 100",
        trait_service: "",
        trait_method: "timeout_ms = 500, hedge_delay_ms = 100",
    },
    Mistake {
        name: "wrong value type",
        proto_service: "port: \"50051\"",
        proto_method: "",
        trait_service: "port = \"50051\"",
        trait_method: "",
    },
    Mistake {
        name: "misspelled option",
        proto_service: "prot: 1",
        proto_method: "",
        trait_service: "prot = 1",
        trait_method: "",
    },
    Mistake {
        name: "misspelled method option",
        proto_service: "",
        proto_method: "timeout: 5",
        trait_service: "",
        trait_method: "timeout = 5",
    },
    Mistake {
        name: "drain longer than the grace period",
        proto_service: "drain_seconds: 20 termination_grace_seconds: 30",
        proto_method: "",
        trait_service: "drain_seconds = 20, termination_grace_seconds = 30",
        trait_method: "",
    },
    Mistake {
        name: "trust domain with a path",
        proto_service: "mtls { trust_domain: \"cluster.local/prod\" }",
        proto_method: "",
        trait_service: "mtls(trust_domain = \"cluster.local/prod\")",
        trait_method: "",
    },
    Mistake {
        name: "issuer name that is no DNS name",
        proto_service: "mtls { issuer { name: \"Bank CA\" } }",
        proto_method: "",
        trait_service: "mtls(issuer(name = \"Bank CA\"))",
        trait_method: "",
    },
    Mistake {
        name: "health port on the gRPC port",
        proto_service: "mtls { health_port: 50051 }",
        proto_method: "",
        trait_service: "mtls(health_port = 50051)",
        trait_method: "",
    },
    Mistake {
        name: "mutual TLS behind an Ingress",
        proto_service: "ingress { host: \"shop.example.com\" } mtls { }",
        proto_method: "",
        trait_service: "ingress(host = \"shop.example.com\"), mtls()",
        trait_method: "",
    },
];

fn proto_source(mistake: &Mistake) -> String {
    let method = match mistake.proto_method {
        "" => ";".to_string(),
        options => format!(" {{\n    option (kuberpc.v1.method) = {{ {options} }};\n  }}"),
    };
    format!(
        "syntax = \"proto3\";\npackage shop.v1;\nimport \"kuberpc/v1/options.proto\";\n\nservice Shop {{\n  \
         option (kuberpc.v1.service) = {{ {} }};\n  rpc Get(GetRequest) returns (GetReply){method}\n}}\n\n\
         message GetRequest {{ string id = 1; }}\nmessage GetReply {{ string id = 1; }}\n",
        mistake.proto_service
    )
}

fn trait_source(mistake: &Mistake) -> String {
    let service = match mistake.trait_service {
        "" => "package = \"shop.v1\"".to_string(),
        options => format!("package = \"shop.v1\", {options}"),
    };
    let method = match mistake.trait_method {
        "" => String::new(),
        options => format!("    #[rpc({options})]\n"),
    };
    format!(
        "#[derive(Clone, PartialEq, prost::Message)]\npub struct GetRequest {{ #[prost(string, tag = \"1\")] pub id: String }}\n\
         #[derive(Clone, PartialEq, prost::Message)]\npub struct GetReply {{ #[prost(string, tag = \"1\")] pub id: String }}\n\n\
         #[kuberpc::rpc_service({service})]\npub trait Shop {{\n{method}    \
         async fn get(&self, request: GetRequest) -> Result<GetReply, kuberpc::Status>;\n}}\n"
    )
}

/// `(message, help, located text)` of each problem, in order.
fn words(error: &Error) -> Vec<(String, Option<String>, Option<String>)> {
    let mut problems: Vec<_> = error
        .problems()
        .iter()
        .map(|p| (p.message().to_string(), p.help().map(str::to_string), p.span().map(|s| s.text().to_string())))
        .collect();
    problems.sort();
    problems
}

#[test]
fn the_same_mistake_gets_the_same_words_from_both_front_ends() {
    let mut disagreements = Vec::new();
    for mistake in MISTAKES {
        let dir = tempfile::tempdir().unwrap();
        let proto = dir.path().join("shop.proto");
        std::fs::write(&proto, proto_source(mistake)).unwrap();
        let from_proto = configure().stubs(false).generate(&[&proto], &[dir.path()]);
        let from_trait = configure().generate_rust_sources(&[("src/api.rs", &trait_source(mistake))]);
        let (Err(from_proto), Err(from_trait)) = (from_proto, from_trait) else {
            panic!("{}: both front ends must refuse it", mistake.name);
        };
        let (proto_words, trait_words) = (words(&from_proto), words(&from_trait));
        let messages = |w: &[(String, Option<String>, Option<String>)]| {
            w.iter().map(|(m, h, _)| (m.clone(), h.clone())).collect::<Vec<_>>()
        };
        if messages(&proto_words) != messages(&trait_words) {
            disagreements.push(format!("{}:\n  proto: {proto_words:?}\n  trait: {trait_words:?}", mistake.name));
        }
        for (message, _, located) in proto_words.iter().chain(&trait_words) {
            assert!(located.as_deref().is_some_and(|t| !t.is_empty()), "{}: {message:?} is not located", mistake.name);
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
