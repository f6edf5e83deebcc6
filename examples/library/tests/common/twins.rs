//! REST answers beside the same messages fetched over native gRPC, whose encodings Python's
//! `json_format` writes as JSON: the two JSON values must be equal.

use serde_json::Value;

use super::python;

/// The pairs collected, compared at the end (one Python run).
#[derive(Default)]
pub struct Twins(Vec<Twin>);

struct Twin {
    what: String,
    type_name: &'static str,
    rest: Value,
    grpc: Vec<u8>,
}

impl Twins {
    /// `rest`, the JSON of a REST answer (`what`), is to equal the JSON of `grpc`, a
    /// `type_name` answered over gRPC.
    pub fn add(&mut self, what: &str, type_name: &'static str, rest: &Value, grpc: &impl prost::Message) {
        let twin = Twin { what: what.to_string(), type_name, rest: rest.clone(), grpc: grpc.encode_to_vec() };
        self.0.push(twin);
    }

    /// Asserts every pair equal, naming every pair that differs.
    pub async fn assert_equal(self) {
        let messages: Vec<(&str, Vec<u8>)> = self.0.iter().map(|t| (t.type_name, t.grpc.clone())).collect();
        let expected = python::to_json(&messages).await;
        let differences: Vec<String> = self
            .0
            .iter()
            .zip(&expected)
            .filter(|(twin, expected)| twin.rest != **expected)
            .map(|(twin, expected)| format!("{}: {}", twin.what, super::differences(&twin.rest, expected).join("; ")))
            .collect();
        assert!(differences.is_empty(), "REST JSON differs from json_format's:\n{}", differences.join("\n"));
        assert!(!self.0.is_empty(), "nothing compared");
    }
}
