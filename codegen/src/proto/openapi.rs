//! OpenAPI 3.1 of a service's REST surface ([`document`]): one operation per binding, its
//! path, query and body parameters and its answer described by JSON Schema (2020-12, as 3.1
//! has it) of the canonical proto3 JSON mapping — 64-bit integers as strings, enums by name,
//! well-known types in their JSON forms — and errors as `google.rpc.Status`. Written beside the
//! manifests (`base/openapi.json`) by the proto front end, which has the descriptors.
//!
//! A path variable over several segments (`{name=shelves/*/books/*}`) becomes one parameter
//! per wildcard (`/v1/shelves/{shelves_id}/books/{books_id}`): OpenAPI's parameters hold no `/`, and the
//! server matches the same requests either way.

use std::collections::BTreeMap;

use kuberpc_spec::HttpRule;
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, ServiceDescriptor};
use serde_json::{json, Map, Value};

/// The name of `google.rpc.Status` among the schemas: every error's body.
const STATUS: &str = "google.rpc.Status";

/// The document of `service`'s `bindings` as JSON text, when it has any; its server is the
/// Ingress host of `deploy`, if any.
pub(super) fn of(
    service: &ServiceDescriptor,
    bindings: &[super::http::Binding],
    deploy: &crate::model::Deploy,
) -> Option<String> {
    if bindings.is_empty() {
        return None;
    }
    let rules: Vec<HttpRule<String>> = bindings.iter().map(|binding| binding.rule.clone()).collect();
    let servers: Vec<String> = (deploy.ingress.iter())
        .map(|ingress| {
            let scheme = if ingress.tls_secret.is_empty() { "http" } else { "https" };
            format!("{scheme}://{}", ingress.host)
        })
        .collect();
    serde_json::to_string_pretty(&document(service, &rules, &servers)).ok()
}

/// The OpenAPI document of `service`'s `bindings`, at `servers` (URLs).
pub(crate) fn document(service: &ServiceDescriptor, bindings: &[HttpRule<String>], servers: &[String]) -> Value {
    let mut schemas = Schemas::default();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for (index, rule) in bindings.iter().enumerate() {
        let Some(method) = service.methods().find(|m| rule.method.ends_with(&format!("/{}", m.name()))) else {
            continue;
        };
        // The first binding of a method is `Service_Method`, its additional ones numbered.
        let earlier = bindings[..index].iter().filter(|r| r.method == rule.method).count();
        let id = match earlier {
            0 => format!("{}_{}", service.name(), method.name()),
            n => format!("{}_{}_{}", service.name(), method.name(), n + 1),
        };
        let (path, path_parameters) = openapi_path(&rule.template, &method.input(), &mut schemas);
        let mut operation = operation(rule, &method, path_parameters, &mut schemas);
        operation["operationId"] = json!(id);
        paths.entry(path).or_default().insert(rule.verb.to_lowercase(), operation);
    }
    schemas.0.insert(STATUS.into(), status_schema());
    json!({
        "openapi": "3.1.0",
        "info": { "title": service.full_name(), "version": service.package_name() },
        "servers": servers.iter().map(|url| json!({ "url": url })).collect::<Vec<_>>(),
        "paths": paths,
        "components": { "schemas": schemas.0 },
    })
}

/// The operation of one binding.
fn operation(
    rule: &HttpRule<String>,
    method: &prost_reflect::MethodDescriptor,
    mut parameters: Vec<Value>,
    schemas: &mut Schemas,
) -> Value {
    let input = method.input();
    let bound: Vec<String> = kuberpc_spec::PathTemplate::parse(&rule.template)
        .map(|t| t.variables().map(String::from).collect())
        .unwrap_or_default();
    let mut operation = Map::new();
    match rule.body.as_str() {
        "" => parameters.extend(query_parameters(&input, "", &bound, None, schemas)),
        "*" => {
            operation.insert("requestBody".into(), body(schemas.message(&input)));
        }
        field => {
            parameters.extend(query_parameters(&input, "", &bound, Some(field), schemas));
            if let Some(field) = input.get_field_by_name(field) {
                operation.insert("requestBody".into(), body(schemas.field(&field)));
            }
        }
    }
    operation.insert("parameters".into(), Value::Array(parameters));
    let output = method.output();
    let answer = match output.get_field_by_name(&rule.response_body) {
        Some(field) if !rule.response_body.is_empty() => schemas.field(&field),
        _ => schemas.message(&output),
    };
    operation.insert("responses".into(), responses(answer, method.is_server_streaming()));
    Value::Object(operation)
}

fn body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn responses(answer: Value, streaming: bool) -> Value {
    let (description, schema) = match streaming {
        false => ("The response message.", answer),
        true => (
            "One JSON object per line: `result` per message, `error` when the stream fails.",
            json!({ "type": "object", "properties": { "result": answer, "error": reference(STATUS) } }),
        ),
    };
    json!({
        "200": { "description": description, "content": { "application/json": { "schema": schema } } },
        "default": {
            "description": "The call's gRPC status, as its HTTP status (grpc-gateway's mapping).",
            "content": { "application/json": { "schema": reference(STATUS) } },
        },
    })
}

/// The OpenAPI path of `template` and its path parameters (each wildcard of a variable one).
fn openapi_path(template: &str, input: &MessageDescriptor, schemas: &mut Schemas) -> (String, Vec<Value>) {
    let (mut path, mut parameters) = (String::new(), Vec::new());
    let (body, verb) = split_verb(template);
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        path.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let variable = &rest[open + 1..close];
        let (field_path, segments) = variable.split_once('=').unwrap_or((variable, "*"));
        let field = super::http::path_field(input, field_path).ok();
        let schema = field.as_ref().map_or_else(|| json!({ "type": "string" }), |f| schemas.field(f));
        let mut previous = path.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string();
        for (i, segment) in segments.split('/').enumerate() {
            if i > 0 {
                path.push('/');
            }
            match segment {
                "*" | "**" => {
                    let name = parameter_name(field_path, &previous, segments, &parameters);
                    path.push_str(&format!("{{{name}}}"));
                    let whole = segments == "*" || segments == "**";
                    let schema = if whole { schema.clone() } else { json!({ "type": "string" }) };
                    let description = format!("`{field_path}` is `{segments}` with this in the place of a `{segment}`");
                    let mut parameter = json!({ "name": name, "in": "path", "required": true, "schema": schema });
                    if !whole {
                        parameter["description"] = json!(description);
                    }
                    parameters.push(parameter);
                }
                literal => {
                    path.push_str(literal);
                    previous = literal.to_string();
                }
            }
        }
        rest = rest.get(close + 1..).unwrap_or_default();
    }
    path.push_str(rest);
    if let Some(verb) = verb {
        path.push(':');
        path.push_str(verb);
    }
    (path, parameters)
}

/// `("/v1/{name=shelves/*}", Some("merge"))` of `/v1/{name=shelves/*}:merge`.
fn split_verb(template: &str) -> (&str, Option<&str>) {
    let last = template.rfind('/').unwrap_or(0);
    match template[last..].rfind(':') {
        Some(colon) if !template[last..].contains('}') || template[last..].rfind('}') < Some(colon) => {
            (&template[..last + colon], Some(&template[last + colon + 1..]))
        }
        _ => (template, None),
    }
}

/// A wildcard's parameter: the variable itself when it is one wildcard, else the literal
/// segment before it with `_id` (`shelves/*` → `shelves_id`), unique in the path.
fn parameter_name(field_path: &str, previous: &str, segments: &str, taken: &[Value]) -> String {
    let base = if segments == "*" || segments == "**" || previous.is_empty() {
        field_path.to_string()
    } else {
        format!("{previous}_id")
    };
    let is_taken = |name: &str| taken.iter().any(|p| p["name"] == name);
    let mut name = base.clone();
    let mut n = 2;
    while is_taken(&name) {
        name = format!("{base}{n}");
        n += 1;
    }
    name
}

/// Query parameters: every field with a JSON form a query value can carry (scalars, enums,
/// repeated scalars, well-known types written as strings), through singular messages by
/// dotted name, except the ones the path or the body binds.
fn query_parameters(
    message: &MessageDescriptor,
    prefix: &str,
    bound: &[String],
    body: Option<&str>,
    schemas: &mut Schemas,
) -> Vec<Value> {
    let mut parameters = Vec::new();
    for field in message.fields() {
        let name = format!("{prefix}{}", field.name());
        if bound.contains(&name) || (prefix.is_empty() && Some(field.name()) == body) || field.is_map() {
            continue;
        }
        match field.kind() {
            // A query value is a string: no object, list or any-value well-known type.
            Kind::Message(child) if !written_as_string(&child) && well_known(&child).is_some() => {}
            Kind::Message(child) if well_known(&child).is_none() => {
                if !field.is_list() && !prefix.split('.').any(|p| p == field.name()) && prefix.matches('.').count() < 4
                {
                    parameters.extend(query_parameters(&child, &format!("{name}."), bound, None, schemas));
                }
            }
            _ => parameters.push(json!({ "name": name, "in": "query", "schema": schemas.field(&field) })),
        }
    }
    parameters
}

/// Whether a well-known type's JSON is a string or a scalar (a query value can carry it).
fn written_as_string(message: &MessageDescriptor) -> bool {
    let objects = ["Struct", "Value", "ListValue", "Empty", "Any"];
    !objects.iter().any(|name| message.full_name() == format!("google.protobuf.{name}"))
}

/// The component schemas, filled as messages and enums are referred to.
#[derive(Default)]
struct Schemas(BTreeMap<String, Value>);

impl Schemas {
    /// A reference to `message`'s schema (its JSON form inline for a well-known type).
    fn message(&mut self, message: &MessageDescriptor) -> Value {
        if let Some(schema) = well_known(message) {
            return schema;
        }
        let name = message.full_name().to_string();
        if !self.0.contains_key(&name) {
            self.0.insert(name.clone(), Value::Null); // taken, for recursive messages
            let properties: Map<String, Value> =
                message.fields().map(|field| (field.json_name().to_string(), self.field(&field))).collect();
            self.0.insert(name.clone(), json!({ "type": "object", "properties": properties }));
        }
        reference(&name)
    }

    /// The schema of one field's JSON value.
    fn field(&mut self, field: &FieldDescriptor) -> Value {
        if field.is_map() {
            let entry = field.kind();
            let value = entry.as_message().map(|m| self.kind(&m.map_entry_value_field().kind()));
            return json!({ "type": "object", "additionalProperties": value.unwrap_or(json!({})) });
        }
        let value = self.kind(&field.kind());
        match field.is_list() {
            true => json!({ "type": "array", "items": value }),
            false => value,
        }
    }

    fn kind(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Double | Kind::Float => {
                json!({ "type": ["number", "string"], "description": "a number, or \"NaN\", \"Infinity\", \"-Infinity\"" })
            }
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => json!({ "type": "integer", "format": "int32" }),
            Kind::Uint32 | Kind::Fixed32 => json!({ "type": "integer", "format": "int64", "minimum": 0 }),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => json!({ "type": "string", "format": "int64" }),
            Kind::Uint64 | Kind::Fixed64 => json!({ "type": "string", "format": "uint64" }),
            Kind::Bool => json!({ "type": "boolean" }),
            Kind::String => json!({ "type": "string" }),
            Kind::Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
            Kind::Enum(e) => {
                let name = e.full_name().to_string();
                let values: Vec<String> = e.values().map(|v| v.name().to_string()).collect();
                self.0.entry(name.clone()).or_insert_with(|| json!({ "type": "string", "enum": values }));
                reference(&name)
            }
            Kind::Message(message) => self.message(message),
        }
    }
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The JSON form of a well-known type, which the canonical mapping writes its own way.
fn well_known(message: &MessageDescriptor) -> Option<Value> {
    let wrapper = |kind: &str, format: Option<&str>| {
        let mut schema = json!({ "type": [kind, "null"] });
        if let Some(format) = format {
            schema["format"] = json!(format);
        }
        schema
    };
    Some(match message.full_name() {
        "google.protobuf.Timestamp" => json!({ "type": "string", "format": "date-time" }),
        "google.protobuf.Duration" => json!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$" }),
        "google.protobuf.FieldMask" => {
            json!({ "type": "string", "description": "field paths, comma-separated, lowerCamelCase" })
        }
        "google.protobuf.Struct" => json!({ "type": "object" }),
        "google.protobuf.Value" => json!({}),
        "google.protobuf.ListValue" => json!({ "type": "array" }),
        "google.protobuf.Empty" => json!({ "type": "object" }),
        "google.protobuf.Any" => {
            json!({ "type": "object", "properties": { "@type": { "type": "string" } }, "required": ["@type"] })
        }
        "google.protobuf.DoubleValue" | "google.protobuf.FloatValue" => wrapper("number", None),
        "google.protobuf.Int32Value" => wrapper("integer", Some("int32")),
        "google.protobuf.UInt32Value" => wrapper("integer", Some("int64")),
        "google.protobuf.Int64Value" => wrapper("string", Some("int64")),
        "google.protobuf.UInt64Value" => wrapper("string", Some("uint64")),
        "google.protobuf.BoolValue" => wrapper("boolean", None),
        "google.protobuf.StringValue" => wrapper("string", None),
        "google.protobuf.BytesValue" => json!({ "type": ["string", "null"], "contentEncoding": "base64" }),
        _ => return None,
    })
}

/// `google.rpc.Status` as the errors carry it.
fn status_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "code": { "type": "integer", "format": "int32", "description": "the gRPC status code" },
            "message": { "type": "string" },
            "details": { "type": "array", "items": { "type": "object", "properties": { "@type": { "type": "string" } } } },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> MessageDescriptor {
        let source = "syntax = \"proto3\";\npackage t;\nmessage R { string name = 1; int64 size = 2; R child = 3; }\n";
        let compiled = crate::proto::compile_in_memory(&[("t.proto", source)]).unwrap();
        let pool = prost_reflect::DescriptorPool::from_file_descriptor_set(compiled.file_descriptor_set).unwrap();
        pool.get_message_by_name("t.R").unwrap()
    }

    fn names(parameters: &[Value]) -> Vec<&str> {
        parameters.iter().map(|p| p["name"].as_str().unwrap()).collect()
    }

    #[test]
    fn each_wildcard_of_a_variable_is_a_parameter_of_its_own() {
        let mut schemas = Schemas::default();
        let (path, parameters) = openapi_path("/v1/{name=shelves/*/books/*}:move", &input(), &mut schemas);
        assert_eq!(path, "/v1/shelves/{shelves_id}/books/{books_id}:move");
        assert_eq!(names(&parameters), ["shelves_id", "books_id"]);
        let (path, parameters) = openapi_path("/v1/{name}/{child.name=a/*/a/*}", &input(), &mut schemas);
        assert_eq!(path, "/v1/{name}/a/{a_id}/a/{a_id2}");
        assert_eq!(names(&parameters), ["name", "a_id", "a_id2"]);
        // A variable of one wildcard keeps its field's name and schema (int64: a string).
        let (path, parameters) = openapi_path("/v1/{size}", &input(), &mut schemas);
        assert_eq!((path.as_str(), &parameters[0]["schema"]["format"]), ("/v1/{size}", &json!("int64")));
    }

    #[test]
    fn the_verb_is_the_last_colon_outside_a_variable() {
        assert_eq!(split_verb("/v1/{name=shelves/*}:merge"), ("/v1/{name=shelves/*}", Some("merge")));
        assert_eq!(split_verb("/v1/shelves"), ("/v1/shelves", None));
        assert_eq!(split_verb("/v1/{name=a:b}"), ("/v1/{name=a:b}", None));
    }

    #[test]
    fn query_parameters_skip_what_the_path_binds_and_follow_messages_a_bounded_depth() {
        let mut schemas = Schemas::default();
        let parameters = query_parameters(&input(), "", &["name".to_string()], None, &mut schemas);
        let names = names(&parameters);
        assert!(!names.contains(&"name") && names.contains(&"size") && names.contains(&"child.name"), "{names:?}");
        assert!(names.iter().all(|n| n.matches('.').count() <= 4), "{names:?}");
    }
}
