//! The request message of a REST call: the body, then the query string for the fields the body
//! and the path do not bind, then the path's variables (which win over the body), merged into
//! one JSON object, which the canonical JSON mapping turns into the method's request message.

use http_body_util::{BodyExt, Limited};
use prost::Message;
use prost_reflect::{DeserializeOptions, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value as Json};
use tonic::body::Body;
use tonic::Status;

use super::{BodyField, Route, MAX_BODY_BYTES};

/// The encoded request message of `route` from the path's `values`, the `query` and `body`;
/// RESOURCE_EXHAUSTED only for a body over [`MAX_BODY_BYTES`].
pub(super) async fn message(
    route: &Route,
    values: &[(&str, String)],
    query: Option<&str>,
    body: Body,
) -> Result<Vec<u8>, Status> {
    let mut fields = match &route.body {
        BodyField::None => Map::new(),
        BodyField::Whole => match read_json(body).await? {
            Json::Object(fields) => fields,
            Json::Null => Map::new(),
            _ => return Err(Status::invalid_argument("the body must be a JSON object: the request message")),
        },
        BodyField::Field(field) => {
            let mut fields = Map::new();
            let value = read_json(body).await?;
            if !value.is_null() {
                fields.insert(field.name().to_string(), value);
            }
            fields
        }
    };
    if !matches!(route.body, BodyField::Whole) {
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            set_query(&route.input, &mut fields, &key, &value, route)?;
        }
    }
    for (path, value) in values {
        set(&route.input, &mut fields, path, value, Placement::Replace)?;
    }
    let options = DeserializeOptions::new().deny_unknown_fields(false);
    let message = DynamicMessage::deserialize_with_options(route.input.clone(), Json::Object(fields), &options)
        .map_err(|e| Status::invalid_argument(format!("{}: {e}", route.input.full_name())))?;
    Ok(message.encode_to_vec())
}

/// The body as JSON (`null` when empty), at most [`MAX_BODY_BYTES`].
async fn read_json(body: Body) -> Result<Json, Status> {
    let bytes = Limited::new(body, MAX_BODY_BYTES)
        .collect()
        .await
        .map_err(|e| match e.downcast_ref::<http_body_util::LengthLimitError>() {
            Some(_) => Status::resource_exhausted(format!("the body is longer than {MAX_BODY_BYTES} bytes")),
            None => Status::cancelled(format!("the body was not read to its end: {e}")),
        })?
        .to_bytes();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Json::Null);
    }
    serde_json::from_slice(&bytes).map_err(|e| Status::invalid_argument(format!("the body is not JSON: {e}")))
}

/// How a value lands in a field that already has one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// A path variable: replaces what the body said.
    Replace,
    /// A query parameter: a repeated field collects every value.
    Append,
}

/// A query parameter: set unless the path or the body binds its field; a name the request
/// does not have is ignored (as grpc-gateway does).
fn set_query(
    input: &MessageDescriptor,
    fields: &mut Map<String, Json>,
    key: &str,
    value: &str,
    route: &Route,
) -> Result<(), Status> {
    let Some(path) = proto_path(input, key) else { return Ok(()) };
    let first = path.split('.').next().unwrap_or_default();
    let bound_by_body = matches!(&route.body, BodyField::Field(field) if field.name() == first);
    let bound_by_path = route.template.variables().any(|variable| variable == path);
    if bound_by_body || bound_by_path {
        return Ok(());
    }
    set(input, fields, &path, value, Placement::Append)
}

/// `key` (each part a field's proto or JSON name) as proto names, if it names a field.
fn proto_path(message: &MessageDescriptor, key: &str) -> Option<String> {
    let fields = field_path(message, key, true)?;
    Some(fields.iter().map(FieldDescriptor::name).collect::<Vec<_>>().join("."))
}

/// The most parts a query key or path variable may have: each is a level of nesting here and in
/// the JSON mapping, and prost refuses messages nested deeper than 100 anyway.
const MAX_FIELD_PATH_PARTS: usize = 32;

/// The fields a dotted `key` names from `message`, each part a field's proto name (or its JSON
/// name, with `json_names`), every part but the last a singular message field; `None` when it
/// names no such field or has more than [`MAX_FIELD_PATH_PARTS`] parts.
pub(super) fn field_path(message: &MessageDescriptor, key: &str, json_names: bool) -> Option<Vec<FieldDescriptor>> {
    let mut message = message.clone();
    let mut fields = Vec::new();
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        if fields.len() == MAX_FIELD_PATH_PARTS {
            return None;
        }
        let by_json = || if json_names { message.get_field_by_json_name(part) } else { None };
        let field = message.get_field_by_name(part).or_else(by_json)?;
        if parts.peek().is_some() {
            if field.is_list() || field.is_map() {
                return None;
            }
            message = field.kind().as_message()?.clone();
        }
        fields.push(field);
    }
    Some(fields)
}

/// Sets the field at the dotted proto `path` in `fields` to `value`, read as the field's type.
fn set(
    message: &MessageDescriptor,
    fields: &mut Map<String, Json>,
    path: &str,
    value: &str,
    placement: Placement,
) -> Result<(), Status> {
    let (first, rest) = match path.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
    };
    let field = message
        .get_field_by_name(first)
        .ok_or_else(|| Status::internal(format!("{} has no field {first}", message.full_name())))?;
    if field.json_name() != field.name() {
        if let Some(written) = fields.remove(field.json_name()) {
            fields.insert(field.name().to_string(), written);
        }
    }
    let Some(rest) = rest else {
        return place(fields, &field, json_of(&field, value)?, placement);
    };
    let Kind::Message(child) = field.kind() else {
        return Err(Status::invalid_argument(format!("{first} has no fields")));
    };
    let entry = fields.entry(field.name().to_string()).or_insert_with(|| Json::Object(Map::new()));
    match entry {
        Json::Object(inner) => set(&child, inner, rest, value, placement),
        _ => Err(Status::invalid_argument(format!("{first} is set twice: in the body and in the path or query"))),
    }
}

fn place(
    fields: &mut Map<String, Json>,
    field: &FieldDescriptor,
    value: Json,
    placement: Placement,
) -> Result<(), Status> {
    let name = field.name().to_string();
    if !field.is_list() {
        fields.insert(name, value);
        return Ok(());
    }
    match (fields.get_mut(&name), placement) {
        (Some(Json::Array(values)), Placement::Append) => values.push(value),
        _ => {
            fields.insert(name, Json::Array(vec![value]));
        }
    }
    Ok(())
}

/// A path or query value as the JSON the canonical mapping reads for `field`: booleans as JSON
/// booleans, floating-point numbers and enums given by number as numbers where they parse (else
/// the string, so `"NaN"` and mistakes reach the mapping's own checks), everything else —
/// strings, integers (the mapping reads them quoted), bytes (base64), enums by name, well-known
/// types written as strings (Timestamp, Duration, FieldMask) — as a string.
fn json_of(field: &FieldDescriptor, value: &str) -> Result<Json, Status> {
    if field.is_map() {
        return Err(Status::invalid_argument(format!("{} is a map: set it in the body", field.name())));
    }
    Ok(match field.kind() {
        Kind::Bool => match value {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => return Err(Status::invalid_argument(format!("{}: {value:?} is not true or false", field.name()))),
        },
        Kind::Double | Kind::Float => value
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Json::from(value), Json::Number),
        // An enum by number (`?mood=2`): a JSON number, which the mapping reads as the value's
        // number (a string is read as a name).
        Kind::Enum(_) if value.parse::<i32>().is_ok() => Json::from(value.parse::<i32>().unwrap_or_default()),
        Kind::Message(message) if message.full_name() == "google.protobuf.BoolValue" => {
            return json_of(&message.get_field(1).ok_or_else(|| Status::internal("BoolValue has no value"))?, value)
        }
        _ => Json::from(value),
    })
}

#[cfg(test)]
mod tests {
    use prost_reflect::DescriptorPool;
    use prost_types::field_descriptor_proto::{Label, Type};
    use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet};

    use super::*;

    /// `message t.R { R child = 1; string text = 2; repeated R many = 3; }`
    fn recursive() -> MessageDescriptor {
        let field = |name: &str, number, kind: Type, label: Label| FieldDescriptorProto {
            name: Some(name.into()),
            json_name: Some(name.into()),
            number: Some(number),
            r#type: Some(kind as i32),
            label: Some(label as i32),
            type_name: (kind == Type::Message).then(|| ".t.R".into()),
            ..FieldDescriptorProto::default()
        };
        let message = DescriptorProto {
            name: Some("R".into()),
            field: vec![
                field("child", 1, Type::Message, Label::Optional),
                field("text", 2, Type::String, Label::Optional),
                field("many", 3, Type::Message, Label::Repeated),
            ],
            ..DescriptorProto::default()
        };
        let file = FileDescriptorProto {
            name: Some("t.proto".into()),
            package: Some("t".into()),
            syntax: Some("proto3".into()),
            message_type: vec![message],
            ..FileDescriptorProto::default()
        };
        let pool = DescriptorPool::from_file_descriptor_set(FileDescriptorSet { file: vec![file] }).unwrap();
        pool.get_message_by_name("t.R").unwrap()
    }

    #[test]
    fn a_field_path_goes_through_singular_messages_a_bounded_depth() {
        let r = recursive();
        let names = |key: &str| proto_path(&r, key);
        assert_eq!(names("child.child.text").as_deref(), Some("child.child.text"));
        // Past a scalar, into a repeated field, or a name R does not have: no field (ignored).
        assert_eq!(names("text.text"), None);
        assert_eq!(names("many.text"), None);
        assert_eq!(names("child.nothing"), None);
        let deepest = format!("{}text", "child.".repeat(MAX_FIELD_PATH_PARTS - 1));
        assert!(names(&deepest).is_some());
        let deeper = format!("child.{deepest}");
        assert_eq!(names(&deeper), None, "{} parts", MAX_FIELD_PATH_PARTS + 1);
        // A key of thousands of parts is refused at once, without recursion.
        assert_eq!(names(&"child.".repeat(5000)), None);
    }
}
