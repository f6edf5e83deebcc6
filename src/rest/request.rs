//! The request message of a REST call: the body, the query string and the path's variables
//! merged into one JSON object (in that order, each later one winning), which the canonical
//! JSON mapping turns into the method's request message.

use http_body_util::{BodyExt, Limited};
use prost::Message;
use prost_reflect::{DeserializeOptions, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value as Json};
use tonic::body::Body;
use tonic::Status;

use super::{BodyField, Route, MAX_BODY_BYTES};

/// The encoded request message of `route` from the path's `values`, the `query` and `body`.
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

/// `key` (each part a field's proto or JSON name) as proto names, if every part is a field.
fn proto_path(message: &MessageDescriptor, key: &str) -> Option<String> {
    let mut message = message.clone();
    let mut names = Vec::new();
    for part in key.split('.') {
        let field = message.get_field_by_name(part).or_else(|| message.get_field_by_json_name(part))?;
        names.push(field.name().to_string());
        if let Kind::Message(child) = field.kind() {
            message = child;
        }
    }
    Some(names.join("."))
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
        Kind::Enum(_) if value.parse::<i32>().is_ok() => value.parse::<i32>().map(Json::from).unwrap_or_default(),
        Kind::Message(message) if message.full_name() == "google.protobuf.BoolValue" => {
            return json_of(&message.get_field(1).ok_or_else(|| Status::internal("BoolValue has no value"))?, value)
        }
        _ => Json::from(value),
    })
}
