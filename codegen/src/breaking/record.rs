//! Reading the descriptor record a build writes next to the manifests (`base/descriptor.json`,
//! written by `proto::record`) as the reference of a check: the embedded files its protos
//! import are added back, and the options kept (kuberpc's, googleapis'), so the deployment
//! contract compares against it too.

use std::collections::BTreeSet;

use prost::Message as _;
use prost_reflect::{DescriptorPool, DeserializeOptions, DynamicMessage};
use prost_types::FileDescriptorSet;
use protox::file::ChainFileResolver;

use crate::proto::front::resolver;
use crate::proto::record::MARKER;

/// The descriptors of a record (`text`, as a build wrote it) as an encoded
/// `FileDescriptorSet`, the embedded files its protos import first, options kept.
pub(crate) fn read(text: &str) -> Result<Vec<u8>, String> {
    let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    // Only a record: another JSON file (the service config, OpenAPI) would read as no files.
    if value.as_object_mut().and_then(|members| members.remove(MARKER)).is_none() {
        return Err(format!("not a descriptor record of kuberpc (no \"{MARKER}\" member)"));
    }
    let global = DescriptorPool::global();
    let recorded: FileDescriptorSet =
        decode(&global, value.clone())?.transcode_to().map_err(|e| format!("not a FileDescriptorSet: {e}"))?;
    let have: BTreeSet<String> = recorded.file.iter().map(|f| f.name().to_string()).collect();
    let missing: BTreeSet<String> =
        recorded.file.iter().flat_map(|f| f.dependency.clone()).filter(|d| !have.contains(d)).collect();
    let mut compiler = protox::Compiler::with_file_resolver(resolver(ChainFileResolver::new()));
    compiler.include_imports(true);
    for name in &missing {
        compiler.open_file(name).map_err(|e| format!("its import {name}: {e}"))?;
    }
    // Read again with the imports' extensions known, so their options are kept.
    let embedded = compiler.descriptor_pool();
    let pool = if embedded.get_message_by_name(SET).is_some() { embedded } else { global };
    let message = decode(&pool, value)?;
    let mut files = compiler.file_descriptor_set();
    files.file.retain(|f| !have.contains(f.name()));
    // Encoded sets concatenate: the imports, then the recorded files.
    let mut bytes = files.encode_to_vec();
    bytes.extend(message.encode_to_vec());
    Ok(bytes)
}

const SET: &str = "google.protobuf.FileDescriptorSet";

/// The record's JSON as a `FileDescriptorSet` of `pool`'s descriptor.proto; options of
/// vocabularies the pool does not know are left out.
fn decode(pool: &DescriptorPool, value: serde_json::Value) -> Result<DynamicMessage, String> {
    let set = pool.get_message_by_name(SET).ok_or("no descriptor.proto types")?;
    let options = DeserializeOptions::new().deny_unknown_fields(false);
    DynamicMessage::deserialize_with_options(set, value, &options).map_err(|e| format!("not a FileDescriptorSet: {e}"))
}
