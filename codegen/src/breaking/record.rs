//! Reading the descriptor record a build writes next to the manifests (`base/descriptor.json`,
//! written by `proto::record`) as the reference of a check: the embedded files its protos
//! import are added back.

use std::collections::BTreeSet;

use prost_reflect::{DescriptorPool, DeserializeOptions, DynamicMessage};
use prost_types::FileDescriptorSet;
use protox::file::ChainFileResolver;

use crate::proto::front::resolver;
use crate::proto::record::MARKER;

/// The descriptors of a record (`text`, as a build wrote it), with the embedded files its
/// protos import added first.
pub(crate) fn read(text: &str) -> Result<FileDescriptorSet, String> {
    let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    // Only a record: another JSON file (the service config, OpenAPI) would read as no files.
    if value.as_object_mut().and_then(|members| members.remove(MARKER)).is_none() {
        return Err(format!("not a descriptor record of kuberpc (no \"{MARKER}\" member)"));
    }
    let set = DescriptorPool::global()
        .get_message_by_name("google.protobuf.FileDescriptorSet")
        .ok_or("no descriptor.proto types")?;
    // Options of other vocabularies (kuberpc's, googleapis') are not needed to compare.
    let options = DeserializeOptions::new().deny_unknown_fields(false);
    let message = DynamicMessage::deserialize_with_options(set, value, &options)
        .map_err(|e| format!("not a FileDescriptorSet: {e}"))?;
    let mut recorded: FileDescriptorSet =
        message.transcode_to().map_err(|e| format!("not a FileDescriptorSet: {e}"))?;
    let have: BTreeSet<String> = recorded.file.iter().map(|f| f.name().to_string()).collect();
    let missing: BTreeSet<String> =
        recorded.file.iter().flat_map(|f| f.dependency.clone()).filter(|d| !have.contains(d)).collect();
    let mut compiler = protox::Compiler::with_file_resolver(resolver(ChainFileResolver::new()));
    compiler.include_imports(true);
    for name in &missing {
        compiler.open_file(name).map_err(|e| format!("its import {name}: {e}"))?;
    }
    let mut files = compiler.file_descriptor_set().file;
    files.retain(|f| !have.contains(f.name()));
    files.append(&mut recorded.file);
    Ok(FileDescriptorSet { file: files })
}
