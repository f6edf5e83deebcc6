//! REST bindings from the standard `google.api.http` annotation: a method's rule and its
//! `additional_bindings`, read from the descriptors into [`HttpRule`]s ([`bindings`]) and
//! checked against the method's messages — every field a template, `body` or `response_body`
//! names must exist — and across a service ([`duplicate_routes`]: no two bindings may claim
//! one route). Each problem is located at the template or the field as written.

use kuberpc_spec::{HttpRule, PathTemplate};
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor, Value};

use crate::error::{Problem, Problems, Span};
use crate::model::method_path;

/// The annotation's extension of `MethodOptions` (google/api/annotations.proto).
pub(super) const HTTP_EXTENSION: &str = "google.api.http";

/// The HttpRule fields naming a path template, with the HTTP method each stands for.
const PATTERNS: [(&str, &str); 5] =
    [("get", "GET"), ("put", "PUT"), ("post", "POST"), ("delete", "DELETE"), ("patch", "PATCH")];

/// One binding and where its template was written.
pub(super) struct Binding {
    pub(super) rule: HttpRule<String>,
    at: Option<Span>,
}

/// The bindings of `method` from its `google.api.http` `rule` (the option statement at
/// `statement`); each one that cannot be served is a problem instead.
pub(super) fn bindings(
    method: &MethodDescriptor,
    rule: &DynamicMessage,
    statement: Option<&Span>,
    problems: &mut Problems,
) -> Vec<Binding> {
    if method.is_client_streaming() {
        let message = format!(
            "{}: REST bindings call unary and server-streaming methods, and {} takes a stream of requests",
            HTTP_EXTENSION,
            method.name()
        );
        problems.push(Problem::at(message, statement.cloned()));
        return Vec::new();
    }
    let mut bindings: Vec<Binding> = binding(method, rule, statement, problems).into_iter().collect();
    let elements = statement.map(|s| s.find_elements("additional_bindings")).unwrap_or_default();
    for (index, extra) in messages(rule, "additional_bindings").iter().enumerate() {
        let written = elements.get(index).or(statement);
        if !messages(extra, "additional_bindings").is_empty() {
            problems.push(Problem::at(
                "additional_bindings may not have additional_bindings of their own",
                written.cloned(),
            ));
        }
        bindings.extend(binding(method, extra, written, problems));
    }
    bindings
}

/// Two bindings of one service with the same HTTP method and the same template shape (the
/// same requests) would leave the route to chance: each after the first is a problem.
pub(super) fn duplicate_routes<'a>(bindings: impl IntoIterator<Item = &'a Binding>, problems: &mut Problems) {
    let mut seen: Vec<(String, String, &str)> = Vec::new();
    for binding in bindings {
        let Ok(template) = PathTemplate::parse(&binding.rule.template) else { continue };
        let (verb, shape) = (binding.rule.verb.clone(), template.shape());
        match seen.iter().find(|(v, s, _)| *v == verb && *s == shape) {
            Some((_, _, first)) => problems.push(Problem::at(
                format!(
                    "{verb} {} claims the route of {first}'s {verb} {shape}: one route calls one method",
                    binding.rule.template
                ),
                binding.at.clone(),
            )),
            None => seen.push((verb, shape, method_name(&binding.rule.method))),
        }
    }
}

fn method_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// One rule without its additional bindings.
fn binding(
    method: &MethodDescriptor,
    rule: &DynamicMessage,
    written: Option<&Span>,
    problems: &mut Problems,
) -> Option<Binding> {
    let Some((verb, template, key)) = pattern(rule) else {
        let message = "an http rule needs a pattern: one of get, put, post, delete, patch or custom { kind path }";
        problems.push(Problem::at(message, written.cloned()));
        return None;
    };
    if let Some(why) = (key == "custom.path").then(|| kind_problem(&verb)).flatten() {
        problems.push(Problem::at(why, field_at(written, "kind")));
        return None;
    }
    let at = written.and_then(|s| string_value(s, key, template.len()));
    let within =
        |offset: usize, len: usize| at.as_ref().map(|a| a.file().span(a.offset() + offset, len)).or(at.clone());
    let parsed = match PathTemplate::parse(&template) {
        Ok(parsed) => parsed,
        Err(error) => {
            problems
                .push(Problem::at(format!("path template {template:?}: {error}"), within(error.offset, error.length)));
            return None;
        }
    };
    let mut fine = true;
    for variable in parsed.variables() {
        if let Err(why) = path_field(&method.input(), variable) {
            let offset = template.find(&format!("{{{variable}")).map_or(0, |o| o + 1);
            problems.push(Problem::at(format!("path template {template:?}: {why}"), within(offset, variable.len())));
            fine = false;
        }
    }
    let body = string(rule, "body");
    let response_body = string(rule, "response_body");
    fine &= check_body(method, &verb, &body, written, problems);
    if !response_body.is_empty() && method.output().get_field_by_name(&response_body).is_none() {
        let why = format!("response_body: {} has no field `{response_body}`", method.output().full_name());
        problems.push(Problem::at(why, field_at(written, "response_body")).with_help(known_fields(&method.output())));
        fine = false;
    }
    let method_path = method_path(method.parent_service().full_name(), method.name());
    let rule = HttpRule { method: method_path, verb, template, body, response_body };
    fine.then_some(Binding { rule, at })
}

/// `body` names `*`, nothing, or a field of the request; a GET request has none.
fn check_body(
    method: &MethodDescriptor,
    verb: &str,
    body: &str,
    written: Option<&Span>,
    problems: &mut Problems,
) -> bool {
    if body.is_empty() {
        return true;
    }
    if verb == "GET" {
        let why = "body: a GET request has no body; its fields come from the path and the query string";
        problems.push(Problem::at(why, field_at(written, "body")));
        return false;
    }
    if body != "*" && method.input().get_field_by_name(body).is_none() {
        let why = format!("body: {} has no field `{body}`", method.input().full_name());
        problems.push(Problem::at(why, field_at(written, "body")).with_help(known_fields(&method.input())));
        return false;
    }
    true
}

/// A path variable's field: each part a field, the ones before the last singular messages,
/// the last a singular field of a scalar or enum type (a path segment holds one value).
pub(super) fn path_field(message: &MessageDescriptor, path: &str) -> Result<FieldDescriptor, String> {
    let mut message = message.clone();
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let Some(field) = message.get_field_by_name(part) else {
            return Err(no_field(&message, part));
        };
        if field.is_list() || field.is_map() {
            return Err(format!("`{path}` is repeated: a path variable binds one value"));
        }
        match (field.kind(), parts.peek()) {
            (Kind::Message(child), Some(_)) => message = child,
            (Kind::Message(child), None) => {
                return Err(format!(
                    "`{path}` is a message ({}): a path variable binds a scalar or an enum",
                    child.full_name()
                ))
            }
            (_, Some(_)) => return Err(format!("`{part}` in `{path}` is not a message: it has no fields")),
            (_, None) => return Ok(field),
        }
    }
    Err(format!("`{path}` names no field"))
}

/// The HTTP method, the template and the field holding it, from the rule's pattern.
fn pattern(rule: &DynamicMessage) -> Option<(String, String, &'static str)> {
    for (field, verb) in PATTERNS {
        if rule.has_field_by_name(field) {
            return Some((verb.to_string(), string(rule, field), field));
        }
    }
    let custom = rule.get_field_by_name("custom").filter(|_| rule.has_field_by_name("custom"))?;
    let custom = custom.as_message()?;
    Some((string(custom, "kind"), string(custom, "path"), "custom.path"))
}

/// A `custom` kind the server can match: an HTTP method's name, in capitals (`HEAD`, `OPTIONS`,
/// `PURGE`); `*` (any method) is not served.
fn kind_problem(kind: &str) -> Option<String> {
    let capitals = !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_uppercase());
    (!capitals).then(|| {
        format!("custom kind {kind:?}: an HTTP method's name in capitals (HEAD, OPTIONS, …); `*` is not served")
    })
}

fn string(message: &DynamicMessage, field: &str) -> String {
    message.get_field_by_name(field).and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

fn messages(message: &DynamicMessage, field: &str) -> Vec<DynamicMessage> {
    let Some(value) = message.get_field_by_name(field) else { return Vec::new() };
    let list = value.as_list().unwrap_or_default();
    list.iter().filter_map(Value::as_message).cloned().collect()
}

/// The span of the `field` written in the rule, else the rule.
fn field_at(written: Option<&Span>, field: &str) -> Option<Span> {
    written.and_then(|s| s.find_field(field)).or(written.cloned())
}

/// The span of the string value (inside its quotes) of `field` in the rule as written.
fn string_value(written: &Span, field: &str, len: usize) -> Option<Span> {
    let name = written.find_field(field)?;
    let after = name.offset() + name.text().len();
    let quote = written.file().text().get(after..)?.find(['"', '\''])?;
    Some(written.file().span(after + quote + 1, len))
}

/// `` Pkg.Message has no field `x`; did you mean `y`? ``
fn no_field(message: &MessageDescriptor, name: &str) -> String {
    let names: Vec<String> = message.fields().map(|f| f.name().to_string()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    match crate::suggest::closest(name, &names) {
        Some(near) => format!("{} has no field `{name}`; did you mean `{near}`?", message.full_name()),
        None => format!("{} has no field `{name}`", message.full_name()),
    }
}

fn known_fields(message: &MessageDescriptor) -> String {
    let names: Vec<String> = message.fields().map(|f| format!("`{}`", f.name())).collect();
    match names.is_empty() {
        true => format!("{} has no fields", message.full_name()),
        false => format!("its fields: {}", names.join(", ")),
    }
}
