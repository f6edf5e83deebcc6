//! The shape of the vocabulary, read from options.proto's descriptor: [`Field`] tables (the
//! generated `fields.rs`, one per message: name, field number, [`Kind`]), and what is
//! derived from them instead of being written per option — the attribute syntax's field
//! lookup and "did you mean" (`crate::attributes`), the typed options built from written
//! values ([`Encoder`]: protobuf encoding by field number, decoded by the prost types), and
//! the text of an option in an emitted `.proto` ([`option_text`]).
//!
//! The proc-macro (no `build` feature) only walks the tables and encodes; the text writer and
//! the proto front end's name list are build-side, hence `dead_code` allowed without it.

#![cfg_attr(not(feature = "build"), allow(dead_code))]

use prost::encoding::{decode_key, decode_varint, encode_key, encode_varint, WireType};

/// What one field of the vocabulary holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `string`
    Str,
    /// `uint32`
    U32,
    /// `uint64`
    U64,
    /// `bool`
    Bool,
    /// `double`
    F64,
    /// A message: further options, written `name { … }` / `name(...)`.
    Group(&'static [Field]),
    /// A repeated message: a group written once per element.
    GroupList(&'static [Field]),
    /// `repeated string`
    StrList,
    /// `map<string, string>`
    Map,
}

/// One field of a vocabulary message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    /// The field name, as both syntaxes write it.
    pub name: &'static str,
    /// The protobuf field number.
    pub number: u32,
    /// What it holds.
    pub kind: Kind,
}

impl Kind {
    /// Written on one line of its own in an option literal (scalars come before groups).
    fn is_scalar(self) -> bool {
        matches!(self, Kind::Str | Kind::U32 | Kind::U64 | Kind::Bool | Kind::F64)
    }
}

/// The vocabulary's messages as [`Field`] tables, generated from options.proto.
pub(crate) mod fields {
    use super::{Field, Kind};
    include!("fields.rs");
}

/// The dotted path of one option as written (`autoscale.min`). Only the constants of
/// [`path`], generated from options.proto, make one: a rule cannot misspell the place it
/// reports at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OptionPath(&'static str);

impl OptionPath {
    /// The service or method itself (where a problem of no one option is reported).
    pub const ITEM: OptionPath = OptionPath("");

    /// `autoscale.min`
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for OptionPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Every option path of `(kuberpc.v1.service)` and `(kuberpc.v1.method)`, generated from
/// options.proto: `path::AUTOSCALE_MIN` is `autoscale.min`. Every path has its constant,
/// whether or not a rule reports at it today (hence `dead_code` allowed).
#[allow(dead_code)]
pub(crate) mod path {
    use super::OptionPath;
    include!("paths.rs");
}

/// Builds the protobuf encoding of one message from written values, field by field, so that
/// the prost types decode it: nothing here knows any option by name.
#[derive(Debug, Default)]
pub(crate) struct Encoder(Vec<u8>);

impl Encoder {
    /// A string (also one element of a `repeated string`).
    pub(crate) fn string(&mut self, field: &Field, value: &str) {
        encode_key(field.number, WireType::LengthDelimited, &mut self.0);
        encode_varint(value.len() as u64, &mut self.0);
        self.0.extend_from_slice(value.as_bytes());
    }

    /// An integer or a bool.
    pub(crate) fn varint(&mut self, field: &Field, value: u64) {
        encode_key(field.number, WireType::Varint, &mut self.0);
        encode_varint(value, &mut self.0);
    }

    /// A `double`.
    pub(crate) fn double(&mut self, field: &Field, value: f64) {
        encode_key(field.number, WireType::SixtyFourBit, &mut self.0);
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    /// A nested message (a group, or one map entry), present even when empty.
    pub(crate) fn message(&mut self, field: &Field, inner: Encoder) {
        encode_key(field.number, WireType::LengthDelimited, &mut self.0);
        encode_varint(inner.0.len() as u64, &mut self.0);
        self.0.extend_from_slice(&inner.0);
    }

    /// One `map<string, string>` entry.
    pub(crate) fn map_entry(&mut self, field: &Field, key: &str, value: &str) {
        let mut entry = Encoder::default();
        entry.string(&MAP_KEY, key);
        entry.string(&MAP_VALUE, value);
        self.message(field, entry);
    }

    /// The encoded message, decoded into its prost type.
    pub(crate) fn decode<T: prost::Message + Default>(&self) -> T {
        T::decode(self.0.as_slice()).unwrap_or_default()
    }
}

const MAP_KEY: Field = Field { name: "key", number: 1, kind: Kind::Str };
const MAP_VALUE: Field = Field { name: "value", number: 2, kind: Kind::Str };
/// A `map<string, string>` entry: `{ key: … value: … }`.
pub(crate) const MAP_ENTRY: &[Field] = &[MAP_KEY, MAP_VALUE];

/// Every field name of the service and method options, nested ones and map entries' `key` /
/// `value` included, sorted: what "did you mean" chooses from in a `.proto` option.
pub(crate) fn field_names() -> Vec<&'static str> {
    fn walk(fields: &'static [Field], names: &mut Vec<&'static str>) {
        for field in fields {
            names.push(field.name);
            match field.kind {
                Kind::Group(inner) | Kind::GroupList(inner) => walk(inner, names),
                Kind::Map => walk(MAP_ENTRY, names),
                _ => {}
            }
        }
    }
    let mut names = Vec::new();
    walk(fields::SERVICE_DEPLOYMENT, &mut names);
    walk(fields::METHOD_BEHAVIOUR, &mut names);
    names.sort_unstable();
    names.dedup();
    names
}

/// The fields set in `message` (of the vocabulary message `fields` describes) as text-format
/// entries — `port: 50051`, `autoscale { min: 2 max: 8 }`, `env { key: "K" value: "v" }` —
/// scalars first, then groups, each in field-number order.
pub(crate) fn option_text(fields: &'static [Field], message: &impl prost::Message) -> Vec<String> {
    entries(fields, &message.encode_to_vec())
}

fn group_text(name: &str, fields: &'static [Field], value: &Wire<'_>) -> String {
    let Wire::Bytes(bytes) = value else { return format!("{name} {{ }}") };
    let inner = entries(fields, bytes);
    if inner.is_empty() {
        format!("{name} {{ }}")
    } else {
        format!("{name} {{ {} }}", inner.join(" "))
    }
}

/// Every string written in `message` (of the vocabulary message `fields` describes), with the
/// key its place is recorded under (`ingress.host`, `environments[1].name`, `env` for a map's
/// keys and values) and whether it is a map's value (free text: the one place a line break
/// may be meant).
pub(crate) fn written_strings(fields: &'static [Field], message: &impl prost::Message) -> Vec<WrittenString> {
    let mut found = Vec::new();
    collect_strings(fields, &message.encode_to_vec(), "", &mut found);
    found
}

/// One string of [`written_strings`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WrittenString {
    /// Where it was written, as [`crate::error::Spans`] records it.
    pub key: String,
    /// The value.
    pub value: String,
    /// A map's value (not its key).
    pub map_value: bool,
}

fn collect_strings(fields: &'static [Field], bytes: &[u8], prefix: &str, found: &mut Vec<WrittenString>) {
    let values = decode_fields(bytes);
    for field in fields {
        let key = format!("{prefix}{}", field.name);
        let written = values.iter().filter(|(number, _)| *number == field.number).map(|(_, v)| v);
        for (index, value) in written.enumerate() {
            let Wire::Bytes(bytes) = value else { continue };
            let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
            match field.kind {
                Kind::Str | Kind::StrList => {
                    found.push(WrittenString { key: key.clone(), value: text(bytes), map_value: false })
                }
                Kind::Group(inner) => collect_strings(inner, bytes, &format!("{key}."), found),
                Kind::GroupList(inner) => collect_strings(inner, bytes, &format!("{key}[{index}]."), found),
                Kind::Map => {
                    for (number, entry) in decode_fields(bytes) {
                        if let Wire::Bytes(entry) = entry {
                            let map_value = number == MAP_VALUE.number;
                            found.push(WrittenString { key: key.clone(), value: text(entry), map_value });
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// [`option_text`] on an encoding.
fn entries(fields: &'static [Field], bytes: &[u8]) -> Vec<String> {
    let values = decode_fields(bytes);
    let mut entries = Vec::new();
    for scalars in [true, false] {
        for field in fields.iter().filter(|f| f.kind.is_scalar() == scalars) {
            let written: Vec<&Wire<'_>> =
                values.iter().filter(|(number, _)| *number == field.number).map(|(_, v)| v).collect();
            match field.kind {
                Kind::StrList if !written.is_empty() => {
                    let items: Vec<String> = written.iter().map(|v| v.text(Kind::Str)).collect();
                    entries.push(format!("{}: [{}]", field.name, items.join(", ")));
                }
                Kind::Group(inner) | Kind::GroupList(inner) => {
                    entries.extend(written.iter().map(|v| group_text(field.name, inner, v)))
                }
                Kind::Map => entries.extend(written.iter().map(|v| group_text(field.name, MAP_ENTRY, v))),
                kind => entries.extend(written.iter().map(|v| format!("{}: {}", field.name, v.text(kind)))),
            }
        }
    }
    entries
}

/// One encoded value.
#[derive(Debug, Clone, Copy)]
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    /// A `double`.
    Fixed64(f64),
}

impl Wire<'_> {
    fn text(&self, kind: Kind) -> String {
        match (self, kind) {
            (Wire::Varint(v), Kind::Bool) => (*v != 0).to_string(),
            (Wire::Varint(v), _) => v.to_string(),
            (Wire::Fixed64(v), _) => v.to_string(),
            (Wire::Bytes(b), _) => quoted(&String::from_utf8_lossy(b)),
        }
    }
}

/// `(field number, value)` of every field of an encoding, in order.
fn decode_fields(mut bytes: &[u8]) -> Vec<(u32, Wire<'_>)> {
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let Ok((number, wire_type)) = decode_key(&mut bytes) else { break };
        let value = match wire_type {
            WireType::Varint => match decode_varint(&mut bytes) {
                Ok(v) => Wire::Varint(v),
                Err(_) => break,
            },
            WireType::LengthDelimited => {
                let Ok(len) = decode_varint(&mut bytes) else { break };
                let len = usize::try_from(len).unwrap_or(usize::MAX).min(bytes.len());
                let (value, rest) = bytes.split_at(len);
                bytes = rest;
                Wire::Bytes(value)
            }
            WireType::SixtyFourBit => {
                let Some((value, rest)) = bytes.split_first_chunk::<8>() else { break };
                bytes = rest;
                Wire::Fixed64(f64::from_le_bytes(*value))
            }
            _ => break,
        };
        fields.push((number, value));
    }
    fields
}

/// A protobuf text-format string literal.
pub(crate) fn quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let mut buffer = [0; 4];
                for byte in c.encode_utf8(&mut buffer).bytes() {
                    out.push_str(&format!("\\{byte:03o}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
