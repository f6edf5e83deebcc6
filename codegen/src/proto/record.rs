//! The descriptor record every build writes next to the manifests (`base/descriptor.json`):
//! the service's proto and the imports kuberpc does not embed, as protobuf JSON of a
//! FileDescriptorSet (options kept, source info left out), so that it diffs in review and is
//! the natural reference of the next change (`kuberpc check --against …/descriptor.json`,
//! which `breaking` reads).

use std::collections::BTreeSet;

use prost_reflect::{DescriptorPool, DynamicMessage, FileDescriptor};

/// The member that marks the record as generated (JSON has no comments).
pub(crate) const MARKER: &str = "x-kuberpc";

/// Files every kuberpc build has without a copy — the vocabulary, googleapis' http
/// annotations (as `front`'s resolvers serve them), the well-known types and descriptor.proto.
pub(crate) fn embedded(name: &str) -> bool {
    name.starts_with("google/protobuf/")
        || name == crate::options::OPTIONS_PROTO_NAME
        || super::front::GOOGLE_API.iter().any(|(known, _)| *known == name)
}

/// The record of `file` and the imports it needs (each once, imports first), without the
/// embedded ones; `None` when descriptor.proto's types cannot be had (never in practice).
pub(crate) fn of(file: &FileDescriptor) -> Option<String> {
    let mut files = Vec::new();
    collect(file, &mut BTreeSet::new(), &mut files);
    let proto = file
        .parent_pool()
        .get_message_by_name("google.protobuf.FileDescriptorProto")
        .or_else(|| DescriptorPool::global().get_message_by_name("google.protobuf.FileDescriptorProto"))?;
    let mut list = Vec::new();
    for file in files {
        let mut message = DynamicMessage::decode(proto.clone(), file.encode_to_vec().as_slice()).ok()?;
        message.clear_field_by_name("source_code_info");
        list.push(serde_json::to_value(&message).ok()?);
    }
    Some(serde_json::json!({ "file": list }).to_string())
}

fn collect(file: &FileDescriptor, seen: &mut BTreeSet<String>, out: &mut Vec<FileDescriptor>) {
    if embedded(file.name()) || !seen.insert(file.name().to_string()) {
        return;
    }
    for import in file.dependencies() {
        collect(&import, seen, out);
    }
    out.push(file.clone());
}
