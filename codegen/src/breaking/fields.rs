//! The field rules: fields deleted from a message, and each field pair (by message and
//! number; extensions by extendee and number) — type, cardinality, oneof, name, JSON name,
//! default and the language options buf compares.

use prost_reflect::{Cardinality, ExtensionDescriptor, FieldDescriptor, Kind, MessageDescriptor, Syntax};
use prost_types::field_options::CType;
use prost_types::FieldDescriptorProto;

use super::{at, At, Out, Side};

// Field numbers of descriptor.proto, for source_code_info paths.
const FIELD_NAME: i32 = 1;
const FIELD_TYPE: i32 = 5;
const FIELD_TYPE_NAME: i32 = 6;
const FIELD_DEFAULT: i32 = 7;
const FIELD_OPTIONS: i32 = 8;
const FIELD_JSON_NAME: i32 = 10;
const OPTIONS_CTYPE: i32 = 1;
const OPTIONS_JSTYPE: i32 = 6;
const FILE_OPTIONS: i32 = 8;
const JAVA_STRING_CHECK_UTF8: i32 = 27;

const WIRE_RULES: &str =
    "See https://developers.google.com/protocol-buffers/docs/proto3#updating for wire compatibility rules.";
const JSON_RULES: &str = "See https://developers.google.com/protocol-buffers/docs/proto3#updating for wire compatibility rules and https://developers.google.com/protocol-buffers/docs/proto3#json for JSON compatibility rules.";
const BYTES_TO_STRING: &str = "Note that while string and bytes are compatible if the data is valid UTF-8, there is no way to enforce that a bytes field is UTF-8, so these fields may be incompatible.";

pub(super) fn compare(old: &Side, new: &Side, out: &mut Out) {
    for old_message in old.pool.all_messages() {
        let Some(new_message) = new.pool.get_message_by_name(old_message.full_name()) else { continue };
        deleted_fields(&old_message, &new_message, out);
        for old_field in old_message.fields() {
            if let Some(new_field) = new_message.get_field(old_field.number()) {
                pair(&Field::Plain(old_field), &Field::Plain(new_field), out);
            }
        }
    }
    for old_extension in old.pool.all_extensions() {
        let extendee = old_extension.containing_message();
        let found = new.pool.all_extensions().find(|e| {
            e.number() == old_extension.number() && e.containing_message().full_name() == extendee.full_name()
        });
        if let Some(new_extension) = found {
            pair(&Field::Extension(old_extension), &Field::Extension(new_extension), out);
        }
    }
}

/// A message's field or an extension: what the rules read of either.
enum Field {
    Plain(FieldDescriptor),
    Extension(ExtensionDescriptor),
}

impl Field {
    fn proto(&self) -> &FieldDescriptorProto {
        match self {
            Field::Plain(f) => f.field_descriptor_proto(),
            Field::Extension(e) => e.field_descriptor_proto(),
        }
    }

    fn number(&self) -> u32 {
        match self {
            Field::Plain(f) => f.number(),
            Field::Extension(e) => e.number(),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Field::Plain(f) => f.kind(),
            Field::Extension(e) => e.kind(),
        }
    }

    fn is_list(&self) -> bool {
        matches!(self, Field::Plain(f) if f.is_list()) || matches!(self, Field::Extension(e) if e.is_list())
    }

    fn is_map(&self) -> bool {
        matches!(self, Field::Plain(f) if f.is_map())
    }

    fn path(&self) -> &[i32] {
        match self {
            Field::Plain(f) => f.path(),
            Field::Extension(e) => e.path(),
        }
    }

    fn file(&self) -> prost_reflect::FileDescriptor {
        match self {
            Field::Plain(f) => f.parent_file(),
            Field::Extension(e) => e.parent_file(),
        }
    }

    fn in_map_entry(&self) -> bool {
        matches!(self, Field::Plain(f) if f.parent_message().is_map_entry())
    }

    /// buf's description: `Field "1" with name "foo" on message "Bar"`, or for an extension
    /// `Extension "100" with name "pkg.ext" on message "pkg.Req"`.
    fn description(&self, with_name: bool) -> String {
        let (kind, name, message) = match self {
            Field::Plain(f) => ("Field", f.name().to_string(), f.parent_message().name().to_string()),
            Field::Extension(e) => {
                ("Extension", e.full_name().to_string(), e.containing_message().full_name().to_string())
            }
        };
        let name = if with_name { format!(" with name {name:?}") } else { String::new() };
        format!("{kind} \"{}\"{name} on message {message:?}", self.number())
    }

    fn cardinality(&self) -> &'static str {
        let (required, presence) = match self {
            Field::Plain(f) => (f.cardinality() == Cardinality::Required, f.supports_presence()),
            Field::Extension(e) => (e.cardinality() == Cardinality::Required, e.supports_presence()),
        };
        match () {
            _ if self.is_list() => "repeated",
            _ if self.is_map() => "map",
            _ if required => "required",
            _ if presence => "optional with explicit presence",
            _ => "optional with implicit presence",
        }
    }

    /// The real oneof it is in (a proto3 `optional`'s synthetic oneof is none).
    fn oneof(&self) -> Option<String> {
        match self {
            Field::Plain(f) => f.containing_oneof().filter(|o| !o.is_synthetic()).map(|o| o.name().to_string()),
            Field::Extension(_) => None,
        }
    }

    /// Its place (`suffix`: a part of it); a map entry's key or value is placed at the map
    /// field, as the entry has no source of its own.
    fn at(&self, suffix: &[i32]) -> At {
        if let Field::Plain(f) = self {
            let entry = f.parent_message();
            let map_field = entry.parent_message().and_then(|parent| {
                parent.fields().find(|m| matches!(m.kind(), Kind::Message(t) if t.full_name() == entry.full_name()))
            });
            if let Some(map_field) = map_field.filter(|_| entry.is_map_entry()) {
                return at(&self.file(), map_field.path());
            }
        }
        at(&self.file(), &[self.path(), suffix].concat())
    }
}

/// FIELD_NO_DELETE and its two "unless reserved" forms, located at the new message.
fn deleted_fields(old: &MessageDescriptor, new: &MessageDescriptor, out: &mut Out) {
    let here = at(&new.parent_file(), new.path());
    for field in old.fields().filter(|f| new.get_field(f.number()).is_none()) {
        let description = Field::Plain(field.clone()).description(true);
        let deleted = format!("Previously present f{} was deleted", &description[1..]);
        out.add("FIELD_NO_DELETE", here.clone(), format!("{deleted}."));
        if !new.reserved_ranges().any(|r| r.contains(&field.number())) {
            let message = format!("{deleted} without reserving the number \"{}\".", field.number());
            out.add("FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", here.clone(), message);
        }
        if !new.reserved_names().any(|n| n == field.name()) {
            let message = format!("{deleted} without reserving the name {:?}.", field.name());
            out.add("FIELD_NO_DELETE_UNLESS_NAME_RESERVED", here.clone(), message);
        }
    }
}

fn pair(old: &Field, new: &Field, out: &mut Out) {
    types(old, new, out);
    cardinality(old, new, out);
    oneof(old, new, out);
    names(old, new, out);
    default(old, new, out);
    language_options(old, new, out);
}

/// The kind as buf prints it (protobuf-go's `Kind.String()`).
fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Double => "double",
        Kind::Float => "float",
        Kind::Int32 => "int32",
        Kind::Int64 => "int64",
        Kind::Uint32 => "uint32",
        Kind::Uint64 => "uint64",
        Kind::Sint32 => "sint32",
        Kind::Sint64 => "sint64",
        Kind::Fixed32 => "fixed32",
        Kind::Fixed64 => "fixed64",
        Kind::Sfixed32 => "sfixed32",
        Kind::Sfixed64 => "sfixed64",
        Kind::Bool => "bool",
        Kind::String => "string",
        Kind::Bytes => "bytes",
        Kind::Message(_) => "message",
        Kind::Enum(_) => "enum",
    }
}

/// The compatibility group of a kind on the wire (`json`: and in JSON); equal groups are
/// compatible.
fn group(kind: &Kind, json: bool) -> &'static str {
    match kind {
        Kind::Int32 | Kind::Uint32 if json => "int32",
        Kind::Int64 | Kind::Uint64 if json => "int64",
        Kind::Bool if json => "bool",
        Kind::Sint32 if json => "sint32",
        Kind::Sint64 if json => "sint64",
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool => "varint",
        Kind::Sint32 | Kind::Sint64 => "zigzag",
        Kind::Fixed32 | Kind::Sfixed32 => "fixed32",
        Kind::Fixed64 | Kind::Sfixed64 => "fixed64",
        other => kind_name(other),
    }
}

/// FIELD_SAME_TYPE, FIELD_WIRE_COMPATIBLE_TYPE, FIELD_WIRE_JSON_COMPATIBLE_TYPE.
fn types(old: &Field, new: &Field, out: &mut Out) {
    let (was, is) = (old.kind(), new.kind());
    let named = |kind: &Kind| matches!(kind, Kind::Message(_) | Kind::Enum(_));
    let type_at = new.at(&[if named(&is) { FIELD_TYPE_NAME } else { FIELD_TYPE }]);
    let changed = |extra: &[&str]| {
        let extra: String = extra.iter().map(|e| format!(" {e}")).collect();
        format!("{} changed type from {:?} to {:?}.{extra}", new.description(true), kind_name(&was), kind_name(&is))
    };
    let type_name = |f: &Field| f.proto().type_name().trim_start_matches('.').to_string();
    let renamed = format!("{} changed type from {:?} to {:?}.", new.description(true), type_name(old), type_name(new));
    let name_differs = named(&is) && type_name(old) != type_name(new);
    if kind_name(&was) != kind_name(&is) {
        out.add("FIELD_SAME_TYPE", type_at.clone(), changed(&[]));
    } else if name_differs {
        out.add("FIELD_SAME_TYPE", type_at.clone(), renamed.clone());
    }
    for (rule, json) in [("FIELD_WIRE_COMPATIBLE_TYPE", false), ("FIELD_WIRE_JSON_COMPATIBLE_TYPE", true)] {
        if group(&was, json) != group(&is, json) {
            let message = match (&was, &is, json) {
                (Kind::String, Kind::Bytes, false) => continue,
                (Kind::Bytes, Kind::String, false) => changed(&[WIRE_RULES, BYTES_TO_STRING]),
                (_, _, false) => changed(&[WIRE_RULES]),
                (_, _, true) => changed(&[JSON_RULES]),
            };
            out.add(rule, type_at.clone(), message);
        } else if name_differs && !enum_compatible(&was, &is) {
            out.add(rule, type_at.clone(), renamed.clone());
        }
    }
}

/// An enum replaced by another with the same short name whose values include the old one's.
fn enum_compatible(was: &Kind, is: &Kind) -> bool {
    let (Kind::Enum(was), Kind::Enum(is)) = (was, is) else { return false };
    was.name() == is.name()
        && was.values().all(|v| is.get_value_by_name(v.name()).is_some_and(|n| n.number() == v.number()))
}

/// The three cardinality rules; map entries' own fields are left out.
fn cardinality(old: &Field, new: &Field, out: &mut Out) {
    if old.in_map_entry() && new.in_map_entry() {
        return;
    }
    let (was, is) = (old.cardinality(), new.cardinality());
    if was == is {
        return;
    }
    let wire = |c: &str| match c {
        "optional with explicit presence" | "optional with implicit presence" => 1,
        "required" => 2,
        _ => 3,
    };
    let wire_json = |c: &str| if c == "map" { 4 } else { wire(c) };
    let message = format!("{} changed cardinality from {was:?} to {is:?}.", new.description(true));
    out.add("FIELD_SAME_CARDINALITY", new.at(&[]), message.clone());
    if wire(was) != wire(is) {
        out.add("FIELD_WIRE_COMPATIBLE_CARDINALITY", new.at(&[]), message.clone());
    }
    if wire_json(was) != wire_json(is) {
        out.add("FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY", new.at(&[]), message);
    }
}

/// FIELD_SAME_ONEOF (extensions left out). buf's message for a move between two oneofs has
/// a stray `q` after the message's name (`%sq` in its format string); kept, so the messages
/// compare.
fn oneof(old: &Field, new: &Field, out: &mut Out) {
    if matches!(new, Field::Extension(_)) {
        return;
    }
    let description = new.description(true);
    let message = match (old.oneof(), new.oneof()) {
        (Some(was), Some(is)) if was != is => format!("{description}q moved from oneof {was:?} to oneof {is:?}."),
        (None, Some(_)) => format!("{description} moved from outside to inside a oneof."),
        (Some(_), None) => format!("{description} moved from inside to outside a oneof."),
        _ => return,
    };
    out.add("FIELD_SAME_ONEOF", new.at(&[]), message);
}

/// FIELD_SAME_NAME and FIELD_SAME_JSON_NAME.
fn names(old: &Field, new: &Field, out: &mut Out) {
    let name = |f: &Field| match f {
        Field::Plain(f) => f.name().to_string(),
        Field::Extension(e) => e.full_name().to_string(),
    };
    if name(old) != name(new) {
        let message = format!("{} changed name from {:?} to {:?}.", new.description(false), name(old), name(new));
        out.add("FIELD_SAME_NAME", new.at(&[FIELD_NAME]), message);
    }
    if let (Field::Plain(was), Field::Plain(is)) = (old, new) {
        if was.json_name() != is.json_name() {
            let at =
                if is.field_descriptor_proto().json_name.is_some() { new.at(&[FIELD_JSON_NAME]) } else { new.at(&[]) };
            let message = format!(
                "{} changed option \"json_name\" from {:?} to {:?}.",
                new.description(true),
                was.json_name(),
                is.json_name()
            );
            out.add("FIELD_SAME_JSON_NAME", at, message);
        }
    }
}

/// FIELD_SAME_DEFAULT: a scalar's explicit default (proto2), compared as a value.
fn default(old: &Field, new: &Field, out: &mut Out) {
    let scalar = |f: &Field| !f.is_list() && !f.is_map() && !matches!(f.kind(), Kind::Message(_));
    if !scalar(old) || !scalar(new) {
        return;
    }
    let (was, is) = (default_value(old), default_value(new));
    if (is_zero(old) && is_zero(new)) || was == is || same_number(&was, &is) {
        return;
    }
    let at = if new.proto().default_value.is_some() { new.at(&[FIELD_DEFAULT]) } else { new.at(&[]) };
    out.add("FIELD_SAME_DEFAULT", at, format!("{} changed default value from {was} to {is}.", new.description(true)));
}

/// A field's default as buf prints it: strings quoted, enums by their value's name, numbers
/// and booleans as written; the zero value when none is written.
fn default_value(field: &Field) -> String {
    let written = field.proto().default_value.clone();
    match (field.kind(), written) {
        (Kind::String, value) => format!("{:?}", value.unwrap_or_default()),
        (Kind::Bytes, value) => {
            let bytes: Vec<String> = value.unwrap_or_default().bytes().map(|b| format!("0x{b:x}")).collect();
            format!("[{}]", bytes.join(","))
        }
        (Kind::Enum(e), value) => value.unwrap_or_else(|| e.default_value().name().to_string()),
        (Kind::Bool, value) => value.unwrap_or_else(|| "false".into()),
        (_, value) => value.unwrap_or_else(|| "0".into()),
    }
}

/// Whether a field's default is its kind's zero value (none written, or one written as it).
fn is_zero(field: &Field) -> bool {
    let Some(written) = field.proto().default_value.as_deref() else { return true };
    match field.kind() {
        Kind::String | Kind::Bytes => written.is_empty(),
        Kind::Bool => written == "false",
        Kind::Enum(e) => e.get_value_by_name(written).is_some_and(|v| v.number() == 0),
        _ => written.parse::<f64>().is_ok_and(|n| n == 0.0),
    }
}

fn same_number(was: &str, is: &str) -> bool {
    matches!((was.parse::<f64>(), is.parse::<f64>()), (Ok(a), Ok(b)) if a == b || (a.is_nan() && b.is_nan()))
}

/// FIELD_SAME_JSTYPE, FIELD_SAME_CPP_STRING_TYPE, FIELD_SAME_JAVA_UTF8_VALIDATION and
/// FIELD_SAME_UTF8_VALIDATION.
fn language_options(old: &Field, new: &Field, out: &mut Out) {
    let options = |f: &Field| f.proto().options.clone().unwrap_or_default();
    let (was, is) = (options(old), options(new));
    let description = new.description(true);
    let int64 = |k: Kind| matches!(k, Kind::Int64 | Kind::Sint64 | Kind::Uint64 | Kind::Fixed64 | Kind::Sfixed64);
    let js = |o: &prost_types::FieldOptions| o.jstype().as_str_name();
    if int64(old.kind()) && int64(new.kind()) && js(&was) != js(&is) {
        let message = format!("{description} changed option \"jstype\" from {:?} to {:?}.", js(&was), js(&is));
        out.add("FIELD_SAME_JSTYPE", new.at(&[FIELD_OPTIONS, OPTIONS_JSTYPE]), message);
    }
    let text = |k: Kind| matches!(k, Kind::String | Kind::Bytes);
    let ctype = |o: &prost_types::FieldOptions| match o.ctype() {
        CType::String => "STRING",
        CType::Cord => "CORD",
        CType::StringPiece => "STRING_PIECE",
    };
    let map_entries = old.in_map_entry() && new.in_map_entry();
    let (c_was, c_is) = (ctype(&was), ctype(&is));
    if !map_entries
        && text(old.kind())
        && text(new.kind())
        && c_was != c_is
        && !(c_was == "STRING_PIECE" && c_is == "STRING")
    {
        let message = format!("{description} changed C++ string type from {c_was:?} to {c_is:?}.");
        out.add("FIELD_SAME_CPP_STRING_TYPE", new.at(&[FIELD_OPTIONS, OPTIONS_CTYPE]), message);
    }
    if !matches!(old.kind(), Kind::String) || !matches!(new.kind(), Kind::String) {
        return;
    }
    let utf8 = |f: &Field| if f.file().syntax() == Syntax::Proto2 { "NONE" } else { "VERIFY" };
    let java = |f: &Field| {
        let check = f.file().file_descriptor_proto().options.as_ref().is_some_and(|o| o.java_string_check_utf8());
        if check {
            "VERIFY"
        } else {
            utf8(f)
        }
    };
    if java(old) != java(new) {
        let message =
            format!("{description} changed Java string UTF8 validation from {:?} to {:?}.", java(old), java(new));
        let file = new.file();
        let set = file.file_descriptor_proto().options.as_ref().is_some_and(|o| o.java_string_check_utf8.is_some());
        let at = if set { at(&file, &[FILE_OPTIONS, JAVA_STRING_CHECK_UTF8]) } else { new.at(&[]) };
        out.add("FIELD_SAME_JAVA_UTF8_VALIDATION", at, message);
    }
    if utf8(old) != utf8(new) {
        let message = format!("{description} changed UTF8 validation from {} to {}.", utf8(old), utf8(new));
        out.add("FIELD_SAME_UTF8_VALIDATION", new.at(&[]), message);
    }
}
