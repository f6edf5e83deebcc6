//! The base `kustomization.yaml`, typed as far as kuberpc writes it (kustomize's own types
//! are Go only), so that its rendering is checked like every object's.

use serde::{Deserialize, Serialize};

/// The base kustomization: its resources and the service config's ConfigMap.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Kustomization {
    api_version: String,
    kind: String,
    resources: Vec<String>,
    config_map_generator: Vec<ConfigMapGenerator>,
}

/// A ConfigMap kustomize makes from files (the gRPC service config).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ConfigMapGenerator {
    name: String,
    files: Vec<String>,
    options: GeneratorOptions,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GeneratorOptions {
    disable_name_suffix_hash: bool,
}
