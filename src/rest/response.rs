//! The answer of a REST call: the gRPC response's messages as JSON, or its status as an HTTP
//! status with a `google.rpc.Status` body.

use std::convert::Infallible;

use bytes::{Buf, Bytes, BytesMut};
use http::{header, HeaderValue, Method, StatusCode};
use http_body::Frame;
use http_body_util::BodyExt;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use serde_json::{json, Value as Json};
use tonic::body::Body;
use tonic::{Code, Status};

use super::Route;

/// Fields without presence are written at their defaults; 64-bit integers as strings, enums
/// by name, lowerCamelCase names: the canonical mapping.
const JSON: SerializeOptions = SerializeOptions::new().skip_default_fields(false);

/// The REST answer to the gRPC `answer` of a call of `route`.
pub(super) async fn answer(route: &Route, answer: http::Response<Body>) -> http::Response<Body> {
    let pool = route.output.parent_pool();
    if let Some(status) = Status::from_header_map(answer.headers()).filter(|s| s.code() != Code::Ok) {
        return status_response(&status, Some(pool));
    }
    let mut body = answer.into_body();
    if route.server_streaming {
        return stream(route, body);
    }
    let (mut frames, mut first) = (Frames::default(), None);
    let status = loop {
        match frames.next(&mut body).await {
            Next::Message(message) => first = first.or(Some(message)),
            Next::End(status) => break status,
        }
    };
    match (status.code(), first) {
        (Code::Ok, Some(message)) => match json_answer(route, message) {
            Ok(json) => json_response(StatusCode::OK, json),
            Err(status) => status_response(&status, Some(pool)),
        },
        (Code::Ok, None) => status_response(&Status::internal("the method answered no message"), Some(pool)),
        _ => status_response(&status, Some(pool)),
    }
}

/// One JSON object per line: `{"result": …}` per message, `{"error": …}` if the call fails.
fn stream(route: &Route, body: Body) -> http::Response<Body> {
    let output = route.output.clone();
    let response_body = route.response_body.clone();
    let lines = futures_util::stream::unfold(Some((body, Frames::default())), move |state| {
        let (output, response_body) = (output.clone(), response_body.clone());
        async move {
            let (mut body, mut frames) = state?;
            let (line, next) = match frames.next(&mut body).await {
                Next::Message(message) => match message_json(&output, response_body.as_ref(), message) {
                    Ok(json) => (json!({ "result": json }), Some((body, frames))),
                    Err(status) => (json!({ "error": status_json(&status, Some(output.parent_pool())) }), None),
                },
                Next::End(status) if status.code() == Code::Ok => return None,
                Next::End(status) => (json!({ "error": status_json(&status, Some(output.parent_pool())) }), None),
            };
            let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
            bytes.push(b'\n');
            Some((Ok::<_, Infallible>(Frame::data(Bytes::from(bytes))), next))
        }
    });
    let mut response = http::Response::new(Body::new(http_body_util::StreamBody::new(lines)));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn json_answer(route: &Route, message: Bytes) -> Result<Vec<u8>, Status> {
    if route.response_body.is_some() {
        let json = message_json(&route.output, route.response_body.as_ref(), message)?;
        return serde_json::to_vec(&json).map_err(|e| Status::internal(e.to_string()));
    }
    let mut out = Vec::new();
    decode(&route.output, message)?
        .serialize_with_options(&mut serde_json::Serializer::new(&mut out), &JSON)
        .map_err(|e| Status::internal(format!("the answer is not JSON: {e}")))?;
    Ok(out)
}

/// One response message (or its `field`) as JSON.
fn message_json(
    output: &prost_reflect::MessageDescriptor,
    field: Option<&prost_reflect::FieldDescriptor>,
    message: Bytes,
) -> Result<Json, Status> {
    let message = decode(output, message)?;
    let json = message
        .serialize_with_options(serde_json::value::Serializer, &JSON)
        .map_err(|e| Status::internal(format!("the answer is not JSON: {e}")))?;
    Ok(match field {
        None => json,
        Some(field) => json.get(field.json_name()).cloned().unwrap_or(Json::Null),
    })
}

fn decode(output: &prost_reflect::MessageDescriptor, message: Bytes) -> Result<DynamicMessage, Status> {
    DynamicMessage::decode(output.clone(), message)
        .map_err(|e| Status::internal(format!("the answer is not a {}: {e}", output.full_name())))
}

/// What the next read of a gRPC response body found.
enum Next {
    Message(Bytes),
    /// The call's status (from the trailers), once the body has ended.
    End(Status),
}

/// Splits a gRPC response body into its length-prefixed messages.
#[derive(Default)]
struct Frames {
    buffer: BytesMut,
}

impl Frames {
    async fn next(&mut self, body: &mut Body) -> Next {
        loop {
            if let Some(message) = self.split() {
                return message;
            }
            match body.frame().await {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => self.buffer.extend_from_slice(&data),
                    Err(frame) => {
                        let trailers = frame.into_trailers().unwrap_or_default();
                        return Next::End(Status::from_header_map(&trailers).unwrap_or_else(no_status));
                    }
                },
                Some(Err(e)) => return Next::End(Status::unavailable(format!("the call failed: {e}"))),
                None => return Next::End(no_status()),
            }
        }
    }

    /// The next whole message in the buffer, if any.
    fn split(&mut self) -> Option<Next> {
        let header: [u8; 5] = self.buffer.get(..5)?.try_into().ok()?;
        if header[0] != 0 {
            return Some(Next::End(Status::internal("the answer is compressed, which REST did not ask for")));
        }
        let length = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if self.buffer.len() < 5 + length {
            return None;
        }
        self.buffer.advance(5);
        Some(Next::Message(self.buffer.split_to(length).freeze()))
    }
}

fn no_status() -> Status {
    Status::internal("the call ended without a status")
}

/// `status` as its HTTP status and a `google.rpc.Status` body.
pub(crate) fn status_response(status: &Status, pool: Option<&DescriptorPool>) -> http::Response<Body> {
    let body = serde_json::to_vec(&status_json(status, pool)).unwrap_or_default();
    json_response(http_status(status.code()), body)
}

/// A request refused before its call: its status's HTTP status, but 413 for a body too large
/// (RESOURCE_EXHAUSTED's 429 would tell clients to retry the same body).
pub(super) fn refused(status: &Status) -> http::Response<Body> {
    let mut response = status_response(status, None);
    if status.code() == Code::ResourceExhausted {
        *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    }
    response
}

/// An error answer from the REST layer itself.
pub(crate) fn error_response(code: Code, message: &str) -> http::Response<Body> {
    status_response(&Status::new(code, message), None)
}

/// 405 with the methods the path is bound for.
pub(super) fn method_not_allowed(method: &Method, allowed: Vec<&Method>) -> http::Response<Body> {
    let mut response = error_response(Code::Unimplemented, &format!("{method} is not bound on this path"));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    let mut allow: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
    allow.dedup();
    if let Ok(allow) = HeaderValue::from_str(&allow.join(", ")) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

fn json_response(status: StatusCode, body: Vec<u8>) -> http::Response<Body> {
    let mut response = http::Response::new(Body::new(http_body_util::Full::new(Bytes::from(body))));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `google.rpc.Status` as JSON; its details when the status carries them
/// (`grpc-status-details-bin`), each resolved by `pool` where it knows the type.
fn status_json(status: &Status, pool: Option<&DescriptorPool>) -> Json {
    let details: Vec<Json> = match RpcStatus::decode_details(status.details()) {
        Some(details) => details.into_iter().map(|any| any_json(any, pool)).collect(),
        None => Vec::new(),
    };
    json!({ "code": status.code() as i32, "message": status.message(), "details": details })
}

/// An `Any` in the canonical mapping: its type's fields beside `@type`, or `value` for a
/// well-known type with a JSON form of its own; `@type` alone when the type is unknown.
fn any_json(any: prost_types::Any, pool: Option<&DescriptorPool>) -> Json {
    let name = any.type_url.rsplit('/').next().unwrap_or_default();
    let message = pool.and_then(|pool| pool.get_message_by_name(name));
    let json = message
        .and_then(|descriptor| DynamicMessage::decode(descriptor, any.value.as_slice()).ok())
        .and_then(|message| message.serialize_with_options(serde_json::value::Serializer, &JSON).ok());
    match json {
        Some(Json::Object(mut fields)) => {
            fields.insert("@type".into(), Json::from(any.type_url));
            Json::Object(fields)
        }
        Some(value) => json!({ "@type": any.type_url, "value": value }),
        None => json!({ "@type": any.type_url }),
    }
}

/// `google.rpc.Status`, for its details.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<prost_types::Any>,
}

impl RpcStatus {
    fn decode_details(bytes: &[u8]) -> Option<Vec<prost_types::Any>> {
        let status = <RpcStatus as prost::Message>::decode(bytes).ok()?;
        (!status.details.is_empty()).then_some(status.details)
    }
}

/// The HTTP status of a gRPC code, as grpc-gateway and Google's APIs map them.
pub(crate) fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
