//! The handlebars templates, one per Kubernetes object, embedded in the binary and
//! overridable file by file from a user directory.
//!
//! The registry runs in strict mode (a missing variable is an error, not an empty string)
//! with HTML escaping off (this is YAML); scalars go through the `json` helper, which
//! quotes strings so that no value can change the YAML structure around it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use handlebars::{handlebars_helper, Handlebars};

use crate::error::{Error, Problem, Problems, SourceFile};
use crate::suggest::closest;

/// Every template kuberpc renders, by name, with its embedded default. A user directory
/// overrides one by holding `<name>.yaml.hbs`. Two are partials: `pod` (`{{> pod}}`), the pod
/// template shared by the Deployment and the StatefulSet, and `hpa-metrics`, shared by the
/// autoscaler and the environments' patches of it.
const EMBEDDED: [(&str, &str); 21] = [
    ("pod", include_str!("../../templates/pod.yaml.hbs")),
    ("hpa-metrics", include_str!("../../templates/hpa-metrics.yaml.hbs")),
    ("deployment", include_str!("../../templates/deployment.yaml.hbs")),
    ("statefulset", include_str!("../../templates/statefulset.yaml.hbs")),
    ("serviceaccount", include_str!("../../templates/serviceaccount.yaml.hbs")),
    ("configmap", include_str!("../../templates/configmap.yaml.hbs")),
    ("service", include_str!("../../templates/service.yaml.hbs")),
    ("service-headless", include_str!("../../templates/service-headless.yaml.hbs")),
    ("pdb", include_str!("../../templates/pdb.yaml.hbs")),
    ("networkpolicy", include_str!("../../templates/networkpolicy.yaml.hbs")),
    ("ingress", include_str!("../../templates/ingress.yaml.hbs")),
    ("grpcroute", include_str!("../../templates/grpcroute.yaml.hbs")),
    ("servicemonitor", include_str!("../../templates/servicemonitor.yaml.hbs")),
    ("hpa", include_str!("../../templates/hpa.yaml.hbs")),
    ("pvc", include_str!("../../templates/pvc.yaml.hbs")),
    ("kustomization", include_str!("../../templates/kustomization.yaml.hbs")),
    ("overlay-kustomization", include_str!("../../templates/overlay-kustomization.yaml.hbs")),
    ("overlay-namespace", include_str!("../../templates/overlay-namespace.yaml.hbs")),
    ("component-kustomization", include_str!("../../templates/component-kustomization.yaml.hbs")),
    ("component-replicas", include_str!("../../templates/component-replicas.yaml.hbs")),
    ("component-resources", include_str!("../../templates/component-resources.yaml.hbs")),
];

const EXTENSION: &str = ".yaml.hbs";

handlebars_helper!(json: |value: Json| serde_json::to_string(value).unwrap_or_default());

/// The template set used for one run.
#[derive(Debug)]
pub struct Templates {
    registry: Handlebars<'static>,
    sources: BTreeMap<String, SourceFile>,
    overrides: Vec<PathBuf>,
}

impl Templates {
    /// The embedded templates only.
    pub fn embedded() -> Self {
        Self::load(None).expect("the embedded templates compile")
    }

    /// The embedded templates, each replaced by `<dir>/<name>.yaml.hbs` when that file exists.
    /// A file in `dir` that matches no template is an error (a misspelled name would
    /// otherwise be ignored).
    pub fn with_overrides(dir: &Path) -> Result<Self, Error> {
        Self::load(Some(dir))
    }

    fn load(dir: Option<&Path>) -> Result<Self, Error> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        registry.register_helper("json", Box::new(json));
        let mut problems = Problems::default();
        let mut sources = BTreeMap::new();
        let mut overrides = Vec::new();
        if let Some(dir) = dir {
            check_override_names(dir, &mut problems);
        }
        for (name, embedded) in EMBEDDED {
            let user_file = dir.map(|d| d.join(format!("{name}{EXTENSION}"))).filter(|p| p.is_file());
            let source = match &user_file {
                Some(path) => match std::fs::read_to_string(path) {
                    Ok(text) => SourceFile::new(path.display().to_string(), text),
                    Err(e) => {
                        problems.push(Problem::new(format!("cannot read template {}: {e}", path.display())));
                        continue;
                    }
                },
                None => SourceFile::new(format!("templates/{name}{EXTENSION}"), embedded),
            };
            if let Err(e) = registry.register_template_string(name, source.text()) {
                let span = e.pos().map(|(line, column)| source.span_lines(line - 1, column - 1, line - 1, column));
                problems.push(Problem::at(format!("template syntax error: {}", e.reason()), span));
            }
            overrides.extend(user_file);
            sources.insert(name.to_string(), source);
        }
        problems.finish(Self { registry, sources, overrides })
    }

    /// The user template files in use, for `cargo:rerun-if-changed`.
    pub fn overrides(&self) -> &[PathBuf] {
        &self.overrides
    }

    /// The file a template was loaded from, as shown to the user.
    pub fn source(&self, name: &str) -> Option<&SourceFile> {
        self.sources.get(name)
    }

    /// Renders template `name` with `data`; errors point into the template.
    pub fn render(&self, name: &str, data: &serde_json::Value) -> Result<String, Problem> {
        self.registry.render(name, data).map_err(|e| {
            let span = match (self.source(name), e.line_no, e.column_no) {
                (Some(source), Some(line), Some(column)) => {
                    Some(source.span_lines(line - 1, column - 1, line - 1, column))
                }
                _ => None,
            };
            Problem::at(format!("template {name}: {}", e.reason()), span)
        })
    }
}

/// Every `*.yaml.hbs` in the override directory must name a known template.
fn check_override_names(dir: &Path, problems: &mut Problems) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(Problem::new(format!("cannot read template directory {}: {e}", dir.display())));
            return;
        }
    };
    let known: Vec<&str> = EMBEDDED.iter().map(|(name, _)| *name).collect();
    let mut names: Vec<String> =
        entries.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned())).collect();
    names.sort();
    for file in names {
        let Some(name) = file.strip_suffix(EXTENSION) else {
            continue;
        };
        if !known.contains(&name) {
            let path = dir.join(&file);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let at = SourceFile::new(path.display().to_string(), text).span(0, 0);
            let problem =
                Problem::at(format!("no template is called {name:?}, so this file would be ignored"), Some(at));
            problems.push(match closest(name, &known) {
                Some(suggestion) => problem.with_help(format!("did you mean {suggestion}{EXTENSION}?")),
                None => problem.with_help(format!("known templates: {}", known.join(", "))),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelled_override_gets_a_suggestion() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("servce.yaml.hbs"), "").unwrap();
        let error = Templates::with_overrides(dir.path()).unwrap_err().to_string();
        assert!(error.contains("did you mean service.yaml.hbs?"), "{error}");
    }
}
