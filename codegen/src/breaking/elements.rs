//! The rules on whole elements: files (package, syntax, options), deletions by file and by
//! package, and the message, enum and service pairs (oneofs, reserved and extension ranges,
//! required fields, JSON format, enum values, RPCs). Field pairs are `fields`'.

use std::collections::{BTreeMap, BTreeSet};

use prost_reflect::{EnumDescriptor, FileDescriptor, MessageDescriptor, ServiceDescriptor, Syntax};
use prost_types::FileOptions;

use super::{at, At, Out, Side};

// Field numbers of descriptor.proto, for source_code_info paths.
const FILE_PACKAGE: i32 = 2;
const FILE_OPTIONS: i32 = 8;
const FILE_SYNTAX: i32 = 12;
const MESSAGE_OPTIONS: i32 = 7;
const MESSAGE_NO_STANDARD_DESCRIPTOR_ACCESSOR: i32 = 2;
const ENUM_VALUE_NUMBER: i32 = 2;
const METHOD_INPUT: i32 = 2;
const METHOD_OUTPUT: i32 = 3;
const METHOD_OPTIONS: i32 = 4;
const METHOD_IDEMPOTENCY: i32 = 34;
/// The largest field number, and with message_set_wire_format.
const MAX_FIELD: u32 = 536_870_911;
const MAX_MESSAGE_SET_FIELD: u32 = 2_147_483_646;
const MAX_ENUM_VALUE: i64 = 2_147_483_647;

pub(super) fn compare(old: &Side, new: &Side, out: &mut Out) {
    for (name, old_file) in &old.files {
        match new.files.get(name) {
            Some(new_file) => file_pair(old_file, new_file, out),
            None => out.add("FILE_NO_DELETE", At::Input, format!("Previously present file {name:?} was deleted.")),
        }
        file_deletions(old_file, new.files.get(name), out);
    }
    package_deletions(old, new, out);
    for old_message in old.pool.all_messages() {
        if let Some(new_message) = new.pool.get_message_by_name(old_message.full_name()) {
            message_pair(&old_message, &new_message, out);
        }
    }
    for old_enum in old.pool.all_enums() {
        if let Some(new_enum) = new.pool.get_enum_by_name(old_enum.full_name()) {
            enum_pair(&old_enum, &new_enum, out);
        }
    }
    for old_service in old.pool.services() {
        if let Some(new_service) = new.pool.get_service_by_name(old_service.full_name()) {
            service_pair(&old_service, &new_service, out);
        }
    }
}

/// The name of an element within its package: `Outer.Inner`.
fn nested_name(full_name: &str, package: &str) -> String {
    match package {
        "" => full_name.to_string(),
        package => full_name.strip_prefix(package).and_then(|n| n.strip_prefix('.')).unwrap_or(full_name).to_string(),
    }
}

/// The elements a file declares, by kind, each by nested name with its descriptor path.
#[derive(Default)]
struct Declared {
    messages: BTreeMap<String, Vec<i32>>,
    enums: BTreeMap<String, Vec<i32>>,
    extensions: BTreeMap<String, Vec<i32>>,
    services: BTreeMap<String, Vec<i32>>,
}

impl Declared {
    fn of(file: &FileDescriptor) -> Declared {
        let package = file.package_name();
        let mine = |f: FileDescriptor| f.name() == file.name();
        let nested = |full: &str| nested_name(full, package);
        let pool = file.parent_pool();
        Declared {
            messages: pool
                .all_messages()
                .filter(|m| mine(m.parent_file()))
                .map(|m| (nested(m.full_name()), m.path().to_vec()))
                .collect(),
            enums: pool
                .all_enums()
                .filter(|e| mine(e.parent_file()))
                .map(|e| (nested(e.full_name()), e.path().to_vec()))
                .collect(),
            extensions: pool
                .all_extensions()
                .filter(|e| mine(e.parent_file()))
                .map(|e| (nested(e.full_name()), e.path().to_vec()))
                .collect(),
            services: file.services().map(|s| (s.name().to_string(), s.path().to_vec())).collect(),
        }
    }
}

/// FILE_SAME_PACKAGE, FILE_SAME_SYNTAX and the FILE_SAME_<option> rules.
fn file_pair(old: &FileDescriptor, new: &FileDescriptor, out: &mut Out) {
    let same = |out: &mut Out, rule, what: &str, path: Vec<i32>, was: String, is: String| {
        if was != is {
            out.add(rule, at(new, &path), format!("File {what} changed from {was:?} to {is:?}."));
        }
    };
    let package = |f: &FileDescriptor| f.package_name().to_string();
    same(out, "FILE_SAME_PACKAGE", "package", vec![FILE_PACKAGE], package(old), package(new));
    same(out, "FILE_SAME_SYNTAX", "syntax", vec![FILE_SYNTAX], syntax(old), syntax(new));
    let (old_options, new_options) = (file_options(old), file_options(new));
    for (rule, option, number, value) in FILE_OPTIONS_COMPARED {
        let what = format!("option {option:?}");
        same(out, rule, &what, vec![FILE_OPTIONS, *number], value(&old_options), value(&new_options));
    }
}

fn syntax(file: &FileDescriptor) -> String {
    match file.syntax() {
        Syntax::Proto3 => "proto3",
        Syntax::Proto2 => "proto2",
    }
    .to_string()
}

fn file_options(file: &FileDescriptor) -> FileOptions {
    file.file_descriptor_proto().options.clone().unwrap_or_default()
}

type OptionValue = fn(&FileOptions) -> String;

/// The file options buf compares: rule, option, field number in FileOptions, its value as
/// buf prints it (strings as written, booleans "true"/"false", optimize_for's value name).
const FILE_OPTIONS_COMPARED: &[(&str, &str, i32, OptionValue)] = &[
    ("FILE_SAME_JAVA_PACKAGE", "java_package", 1, |o| o.java_package().into()),
    ("FILE_SAME_JAVA_OUTER_CLASSNAME", "java_outer_classname", 8, |o| o.java_outer_classname().into()),
    ("FILE_SAME_OPTIMIZE_FOR", "optimize_for", 9, |o| o.optimize_for().as_str_name().into()),
    ("FILE_SAME_JAVA_MULTIPLE_FILES", "java_multiple_files", 10, |o| o.java_multiple_files().to_string()),
    ("FILE_SAME_GO_PACKAGE", "go_package", 11, |o| o.go_package().into()),
    ("FILE_SAME_CC_GENERIC_SERVICES", "cc_generic_services", 16, |o| o.cc_generic_services().to_string()),
    ("FILE_SAME_JAVA_GENERIC_SERVICES", "java_generic_services", 17, |o| o.java_generic_services().to_string()),
    ("FILE_SAME_PY_GENERIC_SERVICES", "py_generic_services", 18, |o| o.py_generic_services().to_string()),
    ("FILE_SAME_CC_ENABLE_ARENAS", "cc_enable_arenas", 31, |o| o.cc_enable_arenas().to_string()),
    ("FILE_SAME_OBJC_CLASS_PREFIX", "objc_class_prefix", 36, |o| o.objc_class_prefix().into()),
    ("FILE_SAME_CSHARP_NAMESPACE", "csharp_namespace", 37, |o| o.csharp_namespace().into()),
    ("FILE_SAME_SWIFT_PREFIX", "swift_prefix", 39, |o| o.swift_prefix().into()),
    ("FILE_SAME_PHP_CLASS_PREFIX", "php_class_prefix", 40, |o| o.php_class_prefix().into()),
    ("FILE_SAME_PHP_NAMESPACE", "php_namespace", 41, |o| o.php_namespace().into()),
    ("FILE_SAME_PHP_METADATA_NAMESPACE", "php_metadata_namespace", 44, |o| o.php_metadata_namespace().into()),
    ("FILE_SAME_RUBY_PACKAGE", "ruby_package", 45, |o| o.ruby_package().into()),
];

/// MESSAGE/ENUM/EXTENSION/SERVICE_NO_DELETE: each element of the old file must still be
/// declared in the file of the same path (a move to another file is a deletion here).
fn file_deletions(old: &FileDescriptor, new: Option<&FileDescriptor>, out: &mut Out) {
    let Some(new) = new else { return };
    let (before, after) = (Declared::of(old), Declared::of(new));
    let kinds = [
        ("MESSAGE_NO_DELETE", "message", &before.messages, &after.messages),
        ("ENUM_NO_DELETE", "enum", &before.enums, &after.enums),
        ("EXTENSION_NO_DELETE", "extension", &before.extensions, &after.extensions),
    ];
    for (rule, kind, was, is) in kinds {
        for name in was.keys().filter(|name| !is.contains_key(*name)) {
            let location = surviving_ancestor(name, &after.messages);
            out.add(rule, at(new, &location), format!("Previously present {kind} {name:?} was deleted from file."));
        }
    }
    for name in before.services.keys().filter(|name| !after.services.contains_key(*name)) {
        let message = format!("Previously present service {name:?} was deleted from file.");
        // Every method of it is gone: its callers are named (`/<service>/*`).
        let service =
            if old.package_name().is_empty() { name.clone() } else { format!("{}.{name}", old.package_name()) };
        out.add_rpc("SERVICE_NO_DELETE", at(new, &[]), message, format!("/{service}/*"));
    }
}

/// The declaration of the nearest enclosing message of `nested` that still exists (empty:
/// the file).
fn surviving_ancestor(nested: &str, messages: &BTreeMap<String, Vec<i32>>) -> Vec<i32> {
    let parts: Vec<&str> = nested.split('.').collect();
    (1..parts.len()).rev().find_map(|end| messages.get(&parts[..end].join("."))).cloned().unwrap_or_default()
}

/// The elements of one kind a file declares.
type Kind = fn(&Declared) -> &BTreeMap<String, Vec<i32>>;

/// Inclusive number ranges.
type Ranges<'a> = &'a [(i64, i64)];

/// PACKAGE_NO_DELETE, and the elements deleted from a package that is on both sides.
fn package_deletions(old: &Side, new: &Side, out: &mut Out) {
    let by_package = |side: &Side| {
        let mut packages: BTreeMap<String, Vec<FileDescriptor>> = BTreeMap::new();
        for file in side.files.values() {
            packages.entry(file.package_name().to_string()).or_default().push(file.clone());
        }
        packages
    };
    let (was, is) = (by_package(old), by_package(new));
    for (package, old_files) in &was {
        let Some(new_files) = is.get(package) else {
            out.add("PACKAGE_NO_DELETE", At::Input, format!("Previously present package {package:?} was deleted."));
            continue;
        };
        let declared = |files: &[FileDescriptor]| files.iter().map(Declared::of).collect::<Vec<_>>();
        let (before, after) = (declared(old_files), declared(new_files));
        for (old_file, before) in old_files.iter().zip(&before) {
            package_file_deletions(package, old_file, before, &after, new, out);
        }
    }
}

fn package_file_deletions(
    package: &str,
    old_file: &FileDescriptor,
    before: &Declared,
    after: &[Declared],
    new: &Side,
    out: &mut Out,
) {
    let same_path = new.files.get(old_file.name()).map(|file| (file, Declared::of(file)));
    let kinds: [(&str, &str, Kind); 4] = [
        ("PACKAGE_MESSAGE_NO_DELETE", "message", |d| &d.messages),
        ("PACKAGE_ENUM_NO_DELETE", "enum", |d| &d.enums),
        ("PACKAGE_EXTENSION_NO_DELETE", "extension", |d| &d.extensions),
        ("PACKAGE_SERVICE_NO_DELETE", "service", |d| &d.services),
    ];
    for (rule, kind, of) in kinds {
        // As buf keys these by package: a package left with no element of a kind is not
        // compared for it (services excepted: keyed by each file's package).
        if kind != "service" && after.iter().all(|d| of(d).is_empty()) {
            continue;
        }
        for name in of(before).keys().filter(|name| !after.iter().any(|d| of(d).contains_key(*name))) {
            let location = match &same_path {
                None => At::Input,
                Some((file, _)) if kind == "service" => at(file, &[]),
                Some((file, declared)) => at(file, &surviving_ancestor(name, &declared.messages)),
            };
            out.add(
                rule,
                location,
                format!("Previously present {kind} {name:?} was deleted from package {package:?}."),
            );
        }
    }
}

fn message_pair(old: &MessageDescriptor, new: &MessageDescriptor, out: &mut Out) {
    let here = at(&new.parent_file(), new.path());
    let name = new.name();
    for oneof in old.oneofs().filter(|o| !o.is_synthetic()) {
        if !new.oneofs().any(|o| !o.is_synthetic() && o.name() == oneof.name()) {
            let message = format!("Previously present oneof {:?} on message {name:?} was deleted.", oneof.name());
            out.add("ONEOF_NO_DELETE", here.clone(), message);
        }
    }
    let max = if is_message_set(new) { MAX_MESSAGE_SET_FIELD } else { MAX_FIELD };
    let inclusive = |r: std::ops::Range<u32>| (i64::from(r.start), i64::from(r.end) - 1);
    let ranges = |m: &MessageDescriptor| m.extension_ranges().map(inclusive).collect::<Vec<_>>();
    let rule = "EXTENSION_MESSAGE_NO_DELETE";
    ranges_kept(rule, "extension", ("message", name), (&ranges(old), &ranges(new)), i64::from(max), &here, out);
    let reserved = |m: &MessageDescriptor| m.reserved_ranges().map(inclusive).collect::<Vec<_>>();
    let rule = "RESERVED_MESSAGE_NO_DELETE";
    ranges_kept(rule, "reserved", ("message", name), (&reserved(old), &reserved(new)), i64::from(max), &here, out);
    let names = |m: &MessageDescriptor| m.reserved_names().map(String::from).collect::<BTreeSet<_>>();
    names_kept("RESERVED_MESSAGE_NO_DELETE", ("message", name), &names(old), &names(new), &here, out);
    required_fields(old, new, out);
    if json_allowed(&old.parent_file()) && !json_allowed(&new.parent_file()) {
        let message = format!("Message {name:?} JSON format support changed from ALLOW to LEGACY_BEST_EFFORT.");
        out.add("MESSAGE_SAME_JSON_FORMAT", here.clone(), message);
    }
    let accessor = |m: &MessageDescriptor| {
        m.descriptor_proto().options.as_ref().is_some_and(|o| o.no_standard_descriptor_accessor())
    };
    if !accessor(old) && accessor(new) {
        let path = [new.path(), &[MESSAGE_OPTIONS, MESSAGE_NO_STANDARD_DESCRIPTOR_ACCESSOR]].concat();
        let message = r#"Message option "no_standard_descriptor_accessor" changed from "false" to "true"."#;
        out.add("MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR", at(&new.parent_file(), &path), message.into());
    }
}

fn is_message_set(message: &MessageDescriptor) -> bool {
    message.descriptor_proto().options.as_ref().is_some_and(|o| o.message_set_wire_format())
}

/// Whether a file's elements resolve `json_format` to ALLOW: proto3 (and editions); proto2
/// resolves to LEGACY_BEST_EFFORT.
fn json_allowed(file: &FileDescriptor) -> bool {
    file.syntax() != Syntax::Proto2
}

/// MESSAGE_SAME_REQUIRED_FIELDS: a required field deleted (at the message) or added (at it).
fn required_fields(old: &MessageDescriptor, new: &MessageDescriptor, out: &mut Out) {
    let required = |m: &MessageDescriptor| {
        m.fields()
            .filter(|f| f.cardinality() == prost_reflect::Cardinality::Required)
            .map(|f| f.number())
            .collect::<BTreeSet<_>>()
    };
    let (was, is) = (required(old), required(new));
    let tail = "Required fields must always be sent, so if one side does not know about the required field, this will result in a breakage.";
    for number in was.difference(&is) {
        let message = format!("Message {:?} had required field \"{number}\" deleted. {tail}", old.name());
        out.add("MESSAGE_SAME_REQUIRED_FIELDS", at(&new.parent_file(), new.path()), message);
    }
    for number in is.difference(&was) {
        let path = new.get_field(*number).map_or_else(|| new.path().to_vec(), |f| f.path().to_vec());
        let message = format!("Message {:?} had required field \"{number}\" added. {tail}", new.name());
        out.add("MESSAGE_SAME_REQUIRED_FIELDS", at(&new.parent_file(), &path), message);
    }
}

/// `*_NO_DELETE` of ranges (inclusive `(start, end)`): every old range must still be covered
/// by the new ones; reports the values no longer covered.
fn ranges_kept(
    rule: &'static str,
    range_kind: &str,
    (element_kind, element): (&str, &str),
    (was, is): (Ranges<'_>, Ranges<'_>),
    max: i64,
    here: &At,
    out: &mut Out,
) {
    let text = |(start, end): (i64, i64)| match (start, end) {
        _ if start == end => format!("[{start}]"),
        _ if end == max => format!("[{start},max]"),
        _ => format!("[{start},{end}]"),
    };
    for range in was {
        let missing = uncovered(*range, is);
        if !missing.is_empty() {
            let removed: Vec<String> = missing.into_iter().map(text).collect();
            let message = format!(
                "Previously present {range_kind} range {:?} on {element_kind} {element:?} is missing values: {} were removed.",
                text(*range),
                removed.join(", ")
            );
            out.add(rule, here.clone(), message);
        }
    }
}

/// The parts of `range` that none of `ranges` covers.
fn uncovered((start, end): (i64, i64), ranges: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut sorted = ranges.to_vec();
    sorted.sort();
    let mut missing = Vec::new();
    let mut next = start;
    for (from, to) in sorted {
        if to < next || from > end {
            continue;
        }
        if from > next {
            missing.push((next, from - 1));
        }
        next = next.max(to + 1);
        if next > end {
            break;
        }
    }
    if next <= end {
        missing.push((next, end));
    }
    missing
}

/// Reserved names that must stay reserved.
fn names_kept(
    rule: &'static str,
    (kind, element): (&str, &str),
    was: &BTreeSet<String>,
    is: &BTreeSet<String>,
    here: &At,
    out: &mut Out,
) {
    for name in was.difference(is) {
        out.add(
            rule,
            here.clone(),
            format!("Previously present reserved name {name:?} on {kind} {element:?} was deleted."),
        );
    }
}

fn enum_pair(old: &EnumDescriptor, new: &EnumDescriptor, out: &mut Out) {
    let here = at(&new.parent_file(), new.path());
    let name = new.name();
    let by_number = |e: &EnumDescriptor| {
        let mut numbers: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
        for value in e.values() {
            numbers.entry(value.number()).or_default().insert(value.name().to_string());
        }
        numbers
    };
    let (was, is) = (by_number(old), by_number(new));
    let reserved: Vec<(i64, i64)> =
        new.reserved_ranges().map(|r| (i64::from(*r.start()), i64::from(*r.end()))).collect();
    let reserved_names: BTreeSet<String> = new.reserved_names().map(String::from).collect();
    for (number, names) in was.iter().filter(|(number, _)| !is.contains_key(*number)) {
        let number_reserved = reserved.iter().any(|(s, e)| (*s..=*e).contains(&i64::from(*number)));
        let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
        let plural = if names.len() > 1 { "s" } else { "" };
        let deleted = format!("Previously present enum value \"{number}\" on enum {name:?} was deleted");
        out.add("ENUM_VALUE_NO_DELETE", here.clone(), format!("{deleted}."));
        if !number_reserved {
            let message = format!("{deleted} without reserving the number \"{number}\".");
            out.add("ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", here.clone(), message);
        }
        if !names.iter().all(|n| reserved_names.contains(n)) {
            let message = format!("{deleted} without reserving the name{plural} {}.", quoted.join(", "));
            out.add("ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED", here.clone(), message);
        }
    }
    for (number, names) in &is {
        let Some(previous) = was.get(number).filter(|previous| !previous.is_subset(names)) else { continue };
        let list = |set: &BTreeSet<String>| set.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ");
        let plural = if previous.len() > 1 && names.len() > 1 { "s" } else { "" };
        for value in new.values().filter(|v| v.number() == *number) {
            let path = [value.path(), &[ENUM_VALUE_NUMBER]].concat();
            let message = format!(
                "Enum value \"{number}\" on enum {name:?} changed name{plural} from {} to {}.",
                list(previous),
                list(names)
            );
            out.add("ENUM_VALUE_SAME_NAME", at(&new.parent_file(), &path), message);
        }
    }
    let closed = |e: &EnumDescriptor| e.parent_file().syntax() == Syntax::Proto2;
    if closed(old) != closed(new) {
        let (was, is) = if closed(new) { ("open", "closed") } else { ("closed", "open") };
        out.add("ENUM_SAME_TYPE", here.clone(), format!("Enum {name:?} changed from {was} to {is}."));
    }
    if json_allowed(&old.parent_file()) && !json_allowed(&new.parent_file()) {
        let message = format!("Enum {name:?} JSON format support changed from ALLOW to LEGACY_BEST_EFFORT.");
        out.add("ENUM_SAME_JSON_FORMAT", here.clone(), message);
    }
    let ranges = |e: &EnumDescriptor| {
        e.reserved_ranges().map(|r| (i64::from(*r.start()), i64::from(*r.end()))).collect::<Vec<_>>()
    };
    let rule = "RESERVED_ENUM_NO_DELETE";
    ranges_kept(rule, "reserved", ("enum", name), (&ranges(old), &ranges(new)), MAX_ENUM_VALUE, &here, out);
    let names = |e: &EnumDescriptor| e.reserved_names().map(String::from).collect::<BTreeSet<_>>();
    names_kept(rule, ("enum", name), &names(old), &names(new), &here, out);
}

fn service_pair(old: &ServiceDescriptor, new: &ServiceDescriptor, out: &mut Out) {
    let file = new.parent_file();
    let service = new.name();
    for old_method in old.methods() {
        let rpc = old_method.name();
        let Some(method) = new.methods().find(|m| m.name() == rpc) else {
            let message = format!("Previously present RPC {rpc:?} on service {service:?} was deleted.");
            out.add_rpc("RPC_NO_DELETE", at(&file, new.path()), message, rpc_path(new, rpc));
            continue;
        };
        let path = |suffix: &[i32]| [method.path(), suffix].concat();
        let prefix = format!("RPC {rpc:?} on service {service:?} changed");
        let types = [
            (
                "RPC_SAME_REQUEST_TYPE",
                "request",
                old_method.input().full_name().to_string(),
                method.input().full_name().to_string(),
                METHOD_INPUT,
            ),
            (
                "RPC_SAME_RESPONSE_TYPE",
                "response",
                old_method.output().full_name().to_string(),
                method.output().full_name().to_string(),
                METHOD_OUTPUT,
            ),
        ];
        for (rule, which, was, is, field) in types.into_iter().filter(|(_, _, was, is, _)| was != is) {
            let message = format!("{prefix} {which} type from {was:?} to {is:?}.");
            out.add_rpc(rule, at(&file, &path(&[field])), message, rpc_path(new, rpc));
        }
        let streaming = |on: bool| if on { "streaming" } else { "unary" };
        let sides = [
            ("RPC_SAME_CLIENT_STREAMING", "client", old_method.is_client_streaming(), method.is_client_streaming()),
            ("RPC_SAME_SERVER_STREAMING", "server", old_method.is_server_streaming(), method.is_server_streaming()),
        ];
        for (rule, side, was, is) in sides.into_iter().filter(|(_, _, was, is)| was != is) {
            let message = format!("{prefix} from {side} {} to {side} {}.", streaming(was), streaming(is));
            out.add_rpc(rule, at(&file, method.path()), message, rpc_path(new, rpc));
        }
        let level = |m: &prost_reflect::MethodDescriptor| {
            m.method_descriptor_proto()
                .options
                .as_ref()
                .map_or("IDEMPOTENCY_UNKNOWN", |o| o.idempotency_level().as_str_name())
        };
        if level(&old_method) != level(&method) {
            let message =
                format!("{prefix} option \"idempotency_level\" from {:?} to {:?}.", level(&old_method), level(&method));
            let at = at(&file, &path(&[METHOD_OPTIONS, METHOD_IDEMPOTENCY]));
            out.add_rpc("RPC_SAME_IDEMPOTENCY_LEVEL", at, message, rpc_path(new, rpc));
        }
    }
}

/// `/pkg.Service/Method`.
fn rpc_path(service: &ServiceDescriptor, method: &str) -> String {
    format!("/{}/{method}", service.full_name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncovered_values_are_the_gaps() {
        assert_eq!(uncovered((100, 200), &[(100, 150)]), [(151, 200)]);
        assert_eq!(uncovered((100, 200), &[(90, 120), (121, 130), (140, 300)]), [(131, 139)]);
        assert_eq!(uncovered((5, 5), &[]), [(5, 5)]);
        assert!(uncovered((1, 10), &[(1, 4), (5, 10)]).is_empty());
    }

    #[test]
    fn nested_names_drop_the_package() {
        assert_eq!(nested_name("shop.v1.Order.Line", "shop.v1"), "Order.Line");
        assert_eq!(nested_name("Order", ""), "Order");
        let messages = BTreeMap::from([("Order".to_string(), vec![4, 0])]);
        assert_eq!(surviving_ancestor("Order.Line.Deep", &messages), [4, 0]);
        assert!(surviving_ancestor("Gone", &messages).is_empty());
    }
}
