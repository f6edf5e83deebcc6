//! Builds the overlays of the generated apps with `kubectl kustomize`. An overlay is the
//! user's, so a regeneration can break it — a patch of an object the source no longer
//! produces, a component that is gone — and `kuberpc check` and the build script say so
//! instead of leaving it to deploy time.
//!
//! A build that succeeded is remembered by the key of its inputs — the overlay's path, every
//! file under its app's directory (base, components and overlays: what `../../` reaches) and
//! the kubectl that built it — as an empty file `overlays/<key>` in kuberpc's cache directory
//! ([`CACHE_DIR_ENV`], else `$XDG_CACHE_HOME/kuberpc`, else `~/.cache/kuberpc`); an overlay
//! whose key is there is not built again (300 services took 140 s when every run built every
//! overlay). Failures are never remembered. An overlay that reaches files outside its app's
//! directory is rebuilt only when its app's files change: set [`CACHE_DIR_ENV`] to an empty
//! value to build every overlay every time.
//!
//! An overlay that builds is also read once for what only the built objects show: a
//! kuberpc Certificate whose SPIFFE ID or DNS names name another namespace than the one it is
//! deployed to ([`identity_problems`]: the environment's component takes the namespace from
//! the overlay's Namespace object, which an edited `namespace:` no longer matches).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::artifacts::Generated;

/// What building the overlays found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverlayCheck {
    /// Every overlay was built; those that failed, with kustomize's error.
    Built {
        /// How many overlays were built.
        count: usize,
        /// The overlays that no longer build.
        broken: Vec<BrokenOverlay>,
    },
    /// Nothing was built, and why (kubectl is not installed).
    Skipped(String),
}

/// An overlay `kubectl kustomize` refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenOverlay {
    /// The overlay directory.
    pub dir: PathBuf,
    /// kustomize's message.
    pub error: String,
}

impl std::fmt::Display for BrokenOverlay {
    /// `overlay <dir> no longer builds:` and kustomize's message on the next line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "overlay {} no longer builds:\n{}", self.dir.display(), self.error)
    }
}

impl OverlayCheck {
    /// The overlays that no longer build (none when skipped).
    pub fn broken(&self) -> &[BrokenOverlay] {
        match self {
            OverlayCheck::Built { broken, .. } => broken,
            OverlayCheck::Skipped(_) => &[],
        }
    }
}

/// Builds every overlay (`<manifests_dir>/<app>/overlays/<name>/`) of every app `generated`
/// holds for which `wanted(app)` says so, as it is on disk.
pub(crate) fn build(manifests_dir: &Path, generated: &Generated, wanted: impl Fn(&str) -> bool) -> OverlayCheck {
    let dirs = overlay_dirs(manifests_dir, generated, wanted);
    if dirs.is_empty() {
        return OverlayCheck::Built { count: 0, broken: Vec::new() };
    }
    let mut broken = Vec::new();
    let cache = cache_dir();
    for dir in &dirs {
        let remembered = cache.as_ref().zip(inputs_key(manifests_dir, dir)).map(|(cache, key)| cache.join(key));
        if remembered.as_ref().is_some_and(|stamp| stamp.is_file()) {
            continue;
        }
        match Command::new("kubectl").arg("kustomize").arg(dir).output() {
            Ok(output) if output.status.success() => {
                let problems = identity_problems(&output.stdout);
                if !problems.is_empty() {
                    broken.push(BrokenOverlay { dir: dir.clone(), error: problems.join("\n") });
                    continue;
                }
                if let Some(stamp) = &remembered {
                    let _ = std::fs::create_dir_all(stamp.parent().unwrap_or(Path::new(".")));
                    let _ = std::fs::write(stamp, "");
                }
            }
            Ok(output) => {
                let error = String::from_utf8_lossy(&output.stderr).trim().to_string();
                broken.push(BrokenOverlay { dir: dir.clone(), error: kustomize_message(&error) });
            }
            Err(e) => {
                return OverlayCheck::Skipped(format!(
                    "kubectl could not be run ({e}): the overlays were not built; install kubectl to have \
                     them checked"
                ))
            }
        }
    }
    OverlayCheck::Built { count: dirs.len(), broken }
}

/// The overlay directories of the generated apps, sorted.
fn overlay_dirs(manifests_dir: &Path, generated: &Generated, wanted: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let apps = generated.packages.iter().flat_map(|p| &p.services).map(|s| &s.deploy.app).filter(|app| wanted(app));
    let mut dirs: Vec<PathBuf> = apps
        .flat_map(|app| std::fs::read_dir(manifests_dir.join(app).join("overlays")).into_iter().flatten())
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|dir| dir.join("kustomization.yaml").is_file())
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// Overrides where kuberpc remembers overlays that built (empty: remember nothing).
pub const CACHE_DIR_ENV: &str = "KUBERPC_CACHE_DIR";

/// `<cache>/overlays`, if there is a cache directory (see the module docs).
fn cache_dir() -> Option<PathBuf> {
    let root = match std::env::var_os(CACHE_DIR_ENV) {
        Some(dir) if dir.is_empty() => return None,
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            Some(dir) => PathBuf::from(dir).join("kuberpc"),
            None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/kuberpc"),
        },
    };
    Some(root.join("overlays"))
}

/// The key of what building `overlay` reads (see the module docs), if it can be read.
fn inputs_key(manifests_dir: &Path, overlay: &Path) -> Option<String> {
    let app_dir = overlay.parent()?.parent()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::fs::canonicalize(overlay).ok()?.hash(&mut hasher);
    let mut pending = vec![app_dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            let kind = entry.file_type().ok()?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    for file in files {
        file.strip_prefix(manifests_dir).unwrap_or(&file).hash(&mut hasher);
        std::fs::read(&file).ok()?.hash(&mut hasher);
    }
    let kubectl = std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join("kubectl")).find(|k| k.is_file())?;
    let metadata = std::fs::metadata(&kubectl).ok()?;
    (kubectl, metadata.len(), metadata.modified().ok()).hash(&mut hasher);
    Some(format!("{:016x}", hasher.finish()))
}

/// Every Certificate kuberpc generated, in the objects an overlay `built`, whose identity or
/// DNS names name another namespace than its own, one sentence each: its callees would refuse
/// its pods, its callers its server.
fn identity_problems(built: &[u8]) -> Vec<String> {
    use serde::Deserialize as _;
    let text = String::from_utf8_lossy(built);
    let documents = serde_yaml::Deserializer::from_str(&text).filter_map(|d| serde_json::Value::deserialize(d).ok());
    let mut problems = Vec::new();
    for certificate in documents.filter(|d| d["kind"] == "Certificate" && d["apiVersion"] == "cert-manager.io/v1") {
        let metadata = &certificate["metadata"];
        if metadata["labels"]["app.kubernetes.io/managed-by"] != "kuberpc" {
            continue;
        }
        let (name, own) = (metadata["name"].as_str().unwrap_or_default(), metadata["namespace"].as_str());
        let strings = |field: &str| -> Vec<String> {
            let values = certificate["spec"][field].as_array().cloned().unwrap_or_default();
            values.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
        };
        let from_uris = strings("uris").into_iter().filter_map(|uri| {
            let namespace = uri.split_once("/ns/")?.1.split('/').next()?.to_string();
            Some((uri, namespace))
        });
        let from_dns = strings("dnsNames").into_iter().filter_map(|dns| {
            let namespace = dns.strip_suffix(".svc.cluster.local")?.split_once('.')?.1.to_string();
            Some((dns, namespace))
        });
        for (written, namespace) in from_uris.chain(from_dns).filter(|(_, namespace)| Some(namespace.as_str()) != own) {
            problems.push(format!(
                "Certificate {name} is deployed to namespace {} but names {namespace:?} in {written:?}: the \
                 environment's component takes the namespace from the overlay's Namespace object, so keep \
                 namespace.yaml and the overlay's `namespace:` the same",
                own.map_or_else(|| "(none)".to_string(), |n| format!("{n:?}"))
            ));
        }
    }
    problems
}

/// kubectl's error without its log prefix (`E1123 … run.go:72] "command failed" err=`).
fn kustomize_message(stderr: &str) -> String {
    match stderr.split_once("err=") {
        Some((_, message)) => message.trim().trim_matches('"').replace("\\\"", "\"").replace("\\n", "\n"),
        None => stderr.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_prefix_goes() {
        let stderr = r#"E1123 23:40:57.163349   26592 run.go:72] "command failed" err="accumulating components: \"x\" not found""#;
        assert_eq!(kustomize_message(stderr), "accumulating components: \"x\" not found");
        assert_eq!(kustomize_message("plain"), "plain");
    }

    #[test]
    fn a_certificate_naming_another_namespace_is_a_problem() {
        let certificate = |namespace: &str, managed_by: &str| {
            format!(
                "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: a-mtls\n  namespace: {namespace}\n  \
                 labels:\n    app.kubernetes.io/managed-by: {managed_by}\nspec:\n  secretName: a-mtls\n  uris:\n  - \
                 spiffe://cluster.local/ns/prod/sa/a\n  dnsNames:\n  - a\n  - a.prod.svc.cluster.local\n"
            )
        };
        let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n---\n";
        assert!(identity_problems(format!("{namespace}{}", certificate("prod", "kuberpc")).as_bytes()).is_empty());
        let problems = identity_problems(certificate("other", "kuberpc").as_bytes());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("deployed to namespace \"other\" but names \"prod\""), "{problems:?}");
        assert!(identity_problems(certificate("other", "someone-else").as_bytes()).is_empty());
    }
}
